// The policy engine: targetRef matching, merge order, effective config per dataplane, the inverse
// (affected dataplanes), per-dataplane toggles and config versions.
export { mergePatch, mergeConfs } from './merge.ts';
export { buildSubsetRules, firstMatchingRule, subsetMatches, subsetOfTargetRef, MAX_SUBSET_RULES, type IdentityTags, type SubsetTag, type SubsetRule, type SubsetEntry } from './subsets.ts';
export { comparePolicies, meshServices, selectsDataplane, selectsInbound, toEntryNames, topLevelTargetRef } from './matching.ts';
export { compileMesh, toggleKey, type DataplanePoliciesContent, type MeshView } from './compile.ts';
export { affectedDataplanes } from './affected.ts';
export { PolicyCompiler, type ChangeResult, type ConfigChange, type PolicyCompilerOptions, type PolicyToggle, type ServiceVip, type StoredVersion } from './state.ts';
export { identityOf, inboundRuleFor, normalizeAddress, permissionFor, sourceRuleFor, type PermissionDecision } from './runtime.ts';
export { parseAccessLogFormat, type AccessLogToken } from '../policies/mesh-access-log/format-syntax.ts';
export type * from './types.ts';
export { unknownRouteBackends } from '../policies/mesh-http-route/backends.ts';
