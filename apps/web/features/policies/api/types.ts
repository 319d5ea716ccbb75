/** Response shapes of the policy routes, as apps/api/src/schemas/policies.ts declares them. */

export interface TargetRef {
  kind: string;
  name?: string;
  tags?: Record<string, string>;
  proxyTypes?: string[];
  sectionName?: string;
}

/** One `from[]`/`to[]` entry of one policy that matched, in merge order. */
export interface PolicyOrigin {
  type: string;
  name: string;
  mesh: string;
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

/**
 * One policy type's effective conf on one inbound/outbound. Inbound: one conf per client subset,
 * first match wins (`subset: []` = any client). Outbound: one rule. No rule: every entry is off.
 */
export interface EffectivePolicy {
  type: string;
  rules: Array<{ subset: SubsetTag[]; conf: unknown; origins: PolicyOrigin[] }>;
  /** Every entry that matched, enabled or not. */
  origins: PolicyOrigin[];
}

export interface PolicyAttachment {
  direction: 'inbound' | 'outbound';
  /** Inbound listener, or the declared outbound listener (absent for services reached transparently). */
  listener?: string;
  service: string;
  port?: number;
  protocol: string;
  policies: EffectivePolicy[];
}

/** A policy that matches this dataplane; `enabled` is its per-dataplane switch. */
export interface MatchedPolicy {
  type: string;
  name: string;
  mesh: string;
  targetRef: TargetRef;
  enabled: boolean;
  inbounds: string[];
  outbounds: string[];
  /** Listener names and services together. */
  where: string[];
}

export interface PolicyWarning {
  code: string;
  message: string;
  policy?: { type: string; name: string; mesh: string };
  inbound?: string;
  outbound?: string;
}

/** `GET /api/meshes/{mesh}/dataplanes/{name}/policies`. */
export interface DataplanePolicies {
  mesh: string;
  dataplane: string;
  configVersion: string;
  policies: MatchedPolicy[];
  attachments: PolicyAttachment[];
  warnings: PolicyWarning[];
}

/** Answer of `PUT .../dataplanes/{name}/policies/{type}/{policy}` with `{"enabled": bool}`. */
export interface PolicyToggleResult {
  mesh: string;
  dataplane: string;
  type: string;
  name: string;
  enabled: boolean;
  /** The dataplane's config version after the change. */
  configVersion: string;
}

/** One row of `GET /api/meshes/{mesh}/policies`. */
export interface MeshPolicy {
  type: string;
  name: string;
  mesh: string;
  targetRef: TargetRef;
  spec: unknown;
  creationTime: string;
  modificationTime: string;
  dataplanes: { total: number; disabled: number };
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
  where: Array<{ direction: 'inbound' | 'outbound'; listener: string }>;
}

export interface AffectedDataplaneList {
  total: number;
  items: AffectedDataplane[];
}
