/** Response shapes of the policy routes (apps/api/src/schemas/policies.ts), from the generated lib/api-types.ts. */
import type { components } from '../../../lib/api-types.ts';

type Schemas = components['schemas'];

export type TargetRef = Schemas['TargetRef'];
/** One `from[]`/`to[]` entry of one policy that matched, in merge order. */
export type PolicyOrigin = Schemas['PolicyOrigin'];
export type SubsetTag = Schemas['SubsetTag'];
/**
 * One policy type's effective conf on one inbound/outbound. Inbound: one conf per client subset,
 * first match wins (`subset: []` = any client). Outbound: one rule. No rule: every entry is off.
 */
export type EffectivePolicy = Schemas['EffectivePolicy'];
export type PolicyAttachment = Schemas['PolicyAttachment'];
/** A policy that matches this dataplane; `enabled` is its per-dataplane switch. */
export type MatchedPolicy = Schemas['MatchedPolicy'];
export type PolicyWarning = Schemas['PolicyWarning'];
/** `GET /api/meshes/{mesh}/dataplanes/{name}/policies`. */
export type DataplanePolicies = Schemas['DataplanePolicies'];
/** Answer of `PUT .../dataplanes/{name}/policies/{type}/{policy}` with `{"enabled": bool}`. */
export type PolicyToggleResult = Schemas['PolicyToggleResult'];
/** One row of `GET /api/meshes/{mesh}/policies`. */
export type MeshPolicy = Schemas['MeshPolicy'];
export type MeshPolicyList = Schemas['MeshPolicyList'];
/** One row of `GET /api/meshes/{mesh}/policies/{type}/{name}/dataplanes`. */
export type AffectedDataplane = Schemas['AffectedDataplane'];
export type AffectedDataplaneList = Schemas['AffectedDataplaneList'];
