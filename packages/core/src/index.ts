// The public surface of @meshcap/core. Each area keeps its own index; this file re-exports them.
export * from './errors.ts';
export * from './model/index.ts';
export * from './policy/index.ts';
export * from './flows/index.ts';
export * from './proxy/index.ts';
export * from './proxy/policies/index.ts';
export * from './capture/index.ts';
export * from './diagram/index.ts';
export * from './xds/index.ts';
export * from './dns/index.ts';
export * from './mtls/index.ts';
