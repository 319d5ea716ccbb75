export * from './common.ts';
export * from './dataplane.ts';
export * from './mesh.ts';
export * from './policies/index.ts';
export { registerKind, resourceKind, resourceKinds, type ResourceKind } from './kinds.ts';
export { parseResources, parseResourceObject, resourceToYaml, type Resource, type ParseOptions } from './parse.ts';
