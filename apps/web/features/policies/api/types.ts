/** Response shapes of the policy routes (apps/api/src/schemas/policies.ts), from the generated lib/api-types.ts. */
export type {
  TargetRef,
  /** One `from[]`/`to[]` entry of one policy that matched, in merge order. */
  PolicyOrigin,
  SubsetTag,
  /**
   * One policy type's effective conf on one inbound/outbound. Inbound: one conf per client subset,
   * first match wins (`subset: []` = any client). Outbound: one rule. No rule: every entry is off.
   */
  EffectivePolicy,
  PolicyAttachment,
  /** A policy that matches this dataplane; `enabled` is its per-dataplane switch. */
  MatchedPolicy,
  PolicyWarning,
  /** `GET /api/meshes/{mesh}/dataplanes/{name}/policies`. */
  DataplanePolicies,
  /** Answer of `PUT .../dataplanes/{name}/policies/{type}/{policy}` with `{"enabled": bool}`. */
  PolicyToggleResult,
  /** One row of `GET /api/meshes/{mesh}/policies`. */
  MeshPolicy,
  MeshPolicyList,
  /** One row of `GET /api/meshes/{mesh}/policies/{type}/{name}/dataplanes`. */
  AffectedDataplane,
  AffectedDataplaneList,
} from '../../../lib/api-types.ts';
