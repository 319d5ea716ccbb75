import type { Protocol } from '../model/common.ts';
import type { Dataplane } from '../model/dataplane.ts';
import type { MeshMtls } from '../model/mesh.ts';
import type { InboundPolicyType, OutboundPolicyType, PolicyConfs, PolicyType, TargetRef, TargetRefKind } from '../model/policies/index.ts';
import type { IdentityTags, SubsetTag } from './subsets.ts';

/**
 * The effective policy config of one dataplane: what the proxy enforces, what config_dump renders
 * and what the inspect API shows. Plain JSON (no Maps, no class instances, no functions).
 */

export interface PolicyRef {
  type: PolicyType;
  mesh: string;
  name: string;
}

/** One `from[]`/`to[]` entry of one policy that matched an inbound or outbound. */
export interface PolicyOrigin extends PolicyRef {
  /** The policy's top-level targetRef kind (`Mesh` when it has none): its place in the merge order. */
  targetRefKind: TargetRefKind;
  section: 'from' | 'to';
  /** Index of the entry in `spec.from` / `spec.to`. */
  entry: number;
  /** The entry's own targetRef: which clients (`from`) or destinations (`to`) it names. */
  entryTargetRef: TargetRef;
  /** False when the policy is toggled off for this dataplane: listed here, left out of every conf. */
  enabled: boolean;
}

/** A conf for the clients in `subset`. */
export interface SourceRule<C> {
  /** The client must have every `not: false` tag and none of the `not: true` ones. Empty: any client. */
  subset: SubsetTag[];
  conf: C;
  /** The enabled entries merged into `conf`, in merge order. */
  origins: PolicyOrigin[];
}

/**
 * One policy type on one inbound. The conf depends on the client: take the first rule whose subset
 * contains the client's identity tags (`sourceRuleFor`). No rule matching means the type does not
 * apply to that client — except MeshTrafficPermission, where it means Deny (Kuma's RBAC default).
 */
export interface InboundPolicy<C> {
  rules: Array<SourceRule<C>>;
  /** Every entry that matched this inbound, in merge order, enabled or not. */
  origins: PolicyOrigin[];
  /** True when some rule names tags, so the proxy needs the client's identity. */
  sourceDependent: boolean;
}

/** One policy type on one outbound: the merged conf of the enabled entries that name its service. */
export interface OutboundPolicy<C> {
  /** Absent when every matching entry is toggled off. */
  conf?: C;
  /** Every entry that matched, in merge order, enabled or not. */
  origins: PolicyOrigin[];
}

export type InboundPolicyMap = { [T in InboundPolicyType]?: InboundPolicy<PolicyConfs[T]> };
export type OutboundPolicyMap = { [T in OutboundPolicyType]?: OutboundPolicy<PolicyConfs[T]> };

export interface InboundPolicies {
  /** `inbound:198.18.0.10:8080`, as Envoy/Kuma name the listener. */
  listener: string;
  address: string;
  port: number;
  /** Where the application listens (servicePort, default: port). */
  servicePort: number;
  service: string;
  protocol: Protocol;
  tags: Record<string, string>;
  policies: InboundPolicyMap;
}

/** An instance of a service: one inbound of one dataplane. */
export interface Endpoint {
  dataplane: string;
  address: string;
  port: number;
  tags: Record<string, string>;
}

export interface OutboundPolicies {
  service: string;
  /** Set for outbounds the Dataplane declares (`outbound:127.0.0.1:10001`); absent for services reached transparently. */
  listener?: string;
  address?: string;
  port?: number;
  /** The service's protocol: from its endpoints' inbound tags when they agree, else the declared tag, else tcp. */
  protocol: Protocol;
  /** Ready inbounds of the service in this mesh, so a transparently captured destination can be named. */
  endpoints: Endpoint[];
  /** The service's virtual IP (transparent proxying only): `<service>.mesh` resolves to it, and outbound listeners serve it. */
  vip?: string;
  policies: OutboundPolicyMap;
  /** Ready endpoints of the services this outbound's MeshHTTPRoute/MeshTCPRoute send to (their clusters and subset clusters are built from them). */
  routeEndpoints?: Record<string, Endpoint[]>;
}

/**
 * Who a client is, by source address. meshcap has no mTLS: a connection's source identity is the
 * dataplane that owns its source address, so any workload able to send from that address passes
 * as that dataplane. `dataplanes` has several names when dataplanes share an address (then `tags`
 * holds the values of all of them, and a warning says so).
 */
export interface SourceIdentity {
  address: string;
  dataplanes: string[];
  /** Only the tag keys this dataplane's rules look at. */
  tags: IdentityTags;
}

/** A policy that affects this dataplane, and where (the Inspect API's "matched policies"). */
export interface MatchedPolicy extends PolicyRef {
  /** The top-level targetRef (`{kind: Mesh}` when the policy has none). */
  targetRef: TargetRef;
  enabled: boolean;
  /** Listeners of the inbounds its `from` entries apply to. */
  inbounds: string[];
  /** Services of the outbounds its `to` entries apply to. */
  outbounds: string[];
}

export type PolicyWarningCode =
  /** A permission tells clients apart by tags, but the mesh cannot prove a client's identity. */
  | 'identity-unverifiable'
  /** Several dataplanes share one address, so a client from it cannot be told apart. */
  | 'identity-ambiguous'
  /** HTTP settings on a TCP inbound/outbound: they cannot apply. */
  | 'http-conf-on-tcp'
  /** The `from` entries would need more source subsets than the bound; the type is left out. */
  | 'source-rules-too-many';

export interface PolicyWarning {
  code: PolicyWarningCode;
  message: string;
  policy?: PolicyRef;
  /** Listener name of the inbound concerned. */
  inbound?: string;
  /** Service of the outbound concerned. */
  outbound?: string;
}

/** How a config differs from the previous one of the same dataplane. */
export interface ConfigVersion {
  /** Starts at 1 per dataplane; +1 each time the config's content changes. */
  counter: number;
  /** sha256 (hex) of the canonical JSON of the config without `version`. */
  hash: string;
  /** `<counter>-<first 12 hex digits of hash>`: the string for xDS `version_info`. */
  versionInfo: string;
  /** When this version was produced (ISO 8601). */
  updatedAt: string;
}

export interface DataplanePolicies {
  mesh: string;
  dataplane: string;
  /** The Dataplane resource this was compiled from (listeners come from it). */
  resource: Dataplane;
  /** The mesh's mTLS (Kuma's defaults filled in) when enabled: how clients are identified (certificates; plaintext too under PERMISSIVE). */
  mtls?: MeshMtls;
  inbounds: InboundPolicies[];
  outbounds: OutboundPolicies[];
  /** Source address → identity, present when some inbound's rules depend on the client; else empty. */
  identities: SourceIdentity[];
  matchedPolicies: MatchedPolicy[];
  warnings: PolicyWarning[];
  version: ConfigVersion;
}

/** Where a policy applies on one dataplane. */
export interface AffectedDataplane {
  mesh: string;
  dataplane: string;
  /** False when the policy is toggled off for this dataplane. */
  enabled: boolean;
  inbounds: Array<{ listener: string; entries: number[] }>;
  outbounds: Array<{ service: string; listener?: string; entries: number[] }>;
}
