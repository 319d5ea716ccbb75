/**
 * Response shapes of the policy routes: the JSON of core's policy types
 * (packages/core/src/policy/types.ts), written out here because the dashboard imports no core code
 * (realign with apps/api/API.md).
 */

export interface TargetRef {
  kind: string;
  name?: string;
  tags?: Record<string, string>;
  sectionName?: string;
}

export interface PolicyRef {
  type: string;
  mesh: string;
  name: string;
}

/** One `from[]`/`to[]` entry of one policy that matched, in merge order. */
export interface PolicyOrigin extends PolicyRef {
  targetRefKind: string;
  section: 'from' | 'to';
  entry: number;
  entryTargetRef: TargetRef;
  /** False when toggled off for this dataplane: listed, but left out of every conf. */
  enabled: boolean;
}

export interface SubsetTag {
  key: string;
  value: string;
  not: boolean;
}

/** A conf for the clients in `subset` (empty subset: any client). */
export interface SourceRule {
  subset: SubsetTag[];
  conf: unknown;
  origins: PolicyOrigin[];
}

export interface InboundPolicy {
  rules: SourceRule[];
  origins: PolicyOrigin[];
  sourceDependent: boolean;
}

export interface OutboundPolicy {
  /** Absent when every matching entry is toggled off. */
  conf?: unknown;
  origins: PolicyOrigin[];
}

export interface InboundPolicies {
  listener: string;
  address: string;
  port: number;
  servicePort: number;
  service: string;
  protocol: string;
  tags: Record<string, string>;
  policies: Record<string, InboundPolicy>;
}

export interface OutboundPolicies {
  service: string;
  listener?: string;
  address?: string;
  port?: number;
  protocol: string;
  policies: Record<string, OutboundPolicy>;
}

/** A policy that affects this dataplane, and where; `enabled` is its per-dataplane switch. */
export interface MatchedPolicy extends PolicyRef {
  targetRef: TargetRef;
  enabled: boolean;
  /** Listeners of the inbounds its `from` entries apply to. */
  inbounds: string[];
  /** Services of the outbounds its `to` entries apply to. */
  outbounds: string[];
}

export interface PolicyWarning {
  code: string;
  message: string;
  policy?: PolicyRef;
  inbound?: string;
  outbound?: string;
}

export interface ConfigVersion {
  counter: number;
  hash: string;
  /** `<counter>-<hash prefix>`: the xDS `version_info`. */
  versionInfo: string;
  updatedAt: string;
}

/** `GET /api/meshes/{mesh}/dataplanes/{name}/policies`. */
export interface DataplanePolicies {
  mesh: string;
  dataplane: string;
  inbounds: InboundPolicies[];
  outbounds: OutboundPolicies[];
  matchedPolicies: MatchedPolicy[];
  warnings: PolicyWarning[];
  version: ConfigVersion;
}

/** Answer of `PUT .../dataplanes/{name}/policies/{type}/{policy}` with `{"enabled": bool}`. */
export interface PolicyToggleResult {
  type: string;
  name: string;
  enabled: boolean;
  /** The dataplane's config version after the change. */
  version: ConfigVersion;
}

/** One row of `GET /api/meshes/{mesh}/policies`. */
export interface MeshPolicy {
  type: string;
  mesh: string;
  name: string;
  spec?: { targetRef?: TargetRef; [field: string]: unknown };
}

export interface MeshPolicyList {
  total: number;
  items: MeshPolicy[];
}

/** One row of `GET /api/meshes/{mesh}/policies/{type}/{name}/dataplanes`. */
export interface AffectedDataplane {
  mesh: string;
  dataplane: string;
  enabled: boolean;
  inbounds: Array<{ listener: string; entries: number[] }>;
  outbounds: Array<{ service: string; listener?: string; entries: number[] }>;
}

export interface AffectedDataplaneList {
  items: AffectedDataplane[];
}
