import { canonicalAddress } from '../model/common.ts';
import { inboundAddress, inboundListenerName, isTransparent, protocolOf, type Dataplane } from '../model/dataplane.ts';
import { meshMtlsOf, type Mesh } from '../model/mesh.ts';
import {
  POLICY_TYPES,
  targetRefRank,
  type InboundPolicyType,
  type OutboundPolicyType,
  type PolicyResource,
  type PolicyType,
  type TargetRef,
} from '../model/policies/index.ts';
import { mergeConfs } from './merge.ts';
import { entryConf } from '../model/policies/common.ts';
import { mergeHttpRouteConfs } from '../policies/mesh-http-route/merge.ts';
import { mergeTcpRouteConfs, type MeshTCPRouteConf } from '../policies/mesh-tcp-route/schema.ts';
import { routeBackends } from '../policies/mesh-http-route/envoy.ts';
import {
  activeInbounds,
  attachment,
  comparePolicies,
  endpointsByService,
  meshServices,
  outboundTargets,
  serviceProtocol,
  topLevelTargetRef,
} from './matching.ts';
import { buildSubsetRules, subsetOfTargetRef } from './subsets.ts';
import type {
  DataplanePolicies,
  InboundPolicies,
  InboundPolicy,
  MatchedPolicy,
  OutboundPolicies,
  OutboundPolicy,
  PolicyOrigin,
  PolicyWarning,
  SourceIdentity,
} from './types.ts';

/** Everything one mesh's compile reads. */
export interface MeshView {
  mesh: Mesh | undefined;
  meshName: string;
  dataplanes: readonly Dataplane[];
  policies: readonly PolicyResource[];
  /** `Type/name` keys of the policies toggled off for a dataplane. */
  disabled: (dataplane: string) => ReadonlySet<string>;
  /** Virtual IPs by service (the control plane's allocation); transparent dataplanes reach services at them. */
  vips?: ReadonlyMap<string, string>;
}

/** A compiled config before it gets a version. */
export type DataplanePoliciesContent = Omit<DataplanePolicies, 'version'>;

export function toggleKey(type: string, name: string): string {
  return `${type}/${name}`;
}

interface Collected {
  origin: PolicyOrigin;
  conf: unknown;
}

/**
 * Merge order of the entries on one inbound or outbound: the policy's top-level targetRef kind, then
 * the entry's own targetRef kind (a `MeshService` entry after a `Mesh` one), then policy name, then
 * position in the policy. Kuma: "Understanding TargetRef policies › Merging configuration", and
 * CompareByPolicyAttributes + CompareByToEntry in pkg/plugins/policies/core/rules/{sort,outbound}.
 * The input is already in (top-level kind, name, position) order, and the sort is stable.
 */
function byMergeOrder(a: Collected, b: Collected): number {
  return targetRefRank(a.origin.targetRefKind) - targetRefRank(b.origin.targetRefKind) || targetRefRank(a.origin.entryTargetRef.kind) - targetRefRank(b.origin.entryTargetRef.kind);
}

/** Route kinds merge their rules by key (Kuma's `mergeValuesByKey`), not as one JSON merge patch. */
const RULE_MERGES: Partial<Record<PolicyType, (confs: never[]) => unknown>> = {
  MeshHTTPRoute: mergeHttpRouteConfs,
  MeshTCPRoute: mergeTcpRouteConfs,
};

function isHttpish(protocol: string): boolean {
  return protocol === 'http' || protocol === 'http2' || protocol === 'grpc';
}

/** Settings that only mean something for HTTP, with nothing that applies to TCP. */
function httpOnly(type: PolicyType, conf: unknown): boolean {
  const c = (conf ?? {}) as Record<string, Record<string, unknown> | undefined>;
  switch (type) {
    case 'MeshFaultInjection':
      return Array.isArray(c.http) && c.http.length > 0;
    case 'MeshRateLimit':
      return c.local?.http !== undefined && c.local.tcp === undefined;
    case 'MeshTimeout':
      return c.http !== undefined && c.connectionTimeout === undefined && c.idleTimeout === undefined;
    case 'MeshRetry':
      return (c.http !== undefined || c.grpc !== undefined) && c.tcp === undefined;
    default:
      return false;
  }
}

function describeRef(ref: TargetRef): string {
  const tags = Object.entries(ref.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  if (ref.kind === 'MeshService') return `service "${ref.name}"`;
  if (ref.kind === 'MeshServiceSubset') return `service "${ref.name}" with ${tags.join(', ')}`;
  return `tags ${tags.join(', ')}`;
}

/** Address → who owns it, over the whole mesh (all tag keys; projected per dataplane later). */
function identityIndex(dataplanes: readonly Dataplane[]): Map<string, { dataplanes: Set<string>; tags: Map<string, Set<string>> }> {
  const index = new Map<string, { dataplanes: Set<string>; tags: Map<string, Set<string>> }>();
  for (const dp of dataplanes) {
    const inbounds = activeInbounds(dp);
    const addresses = new Set([dp.networking.address, ...inbounds.map((ib) => inboundAddress(dp, ib))].map(canonicalAddress));
    for (const address of addresses) {
      const entry = index.get(address) ?? { dataplanes: new Set<string>(), tags: new Map<string, Set<string>>() };
      entry.dataplanes.add(dp.name);
      for (const ib of inbounds) for (const [k, v] of Object.entries(ib.tags)) entry.tags.set(k, (entry.tags.get(k) ?? new Set()).add(v));
      index.set(address, entry);
    }
  }
  return index;
}

/** Compiles every dataplane of a mesh, or only those named in `only` (a toggle touches one). */
export function compileMesh(view: MeshView, only?: ReadonlySet<string>): Map<string, DataplanePoliciesContent> {
  const services = meshServices(view.dataplanes);
  const endpoints = endpointsByService(view.dataplanes);
  const identities = identityIndex(view.dataplanes);
  const sorted = new Map<PolicyType, PolicyResource[]>(POLICY_TYPES.map((t) => [t, view.policies.filter((p) => p.type === t).sort(comparePolicies)]));
  const out = new Map<string, DataplanePoliciesContent>();
  for (const dp of view.dataplanes) {
    if (only && !only.has(dp.name)) continue;
    out.set(dp.name, compileDataplane(dp, { ...view, services, endpoints, identities, sorted }));
  }
  return out;
}

interface CompileContext extends MeshView {
  services: string[];
  endpoints: ReturnType<typeof endpointsByService>;
  identities: ReturnType<typeof identityIndex>;
  sorted: Map<PolicyType, PolicyResource[]>;
}

function compileDataplane(dp: Dataplane, ctx: CompileContext): DataplanePoliciesContent {
  const disabled = ctx.disabled(dp.name);
  const targets = outboundTargets(dp, ctx.services);
  const transparent = isTransparent(dp);
  const inbounds: InboundPolicies[] = activeInbounds(dp).map((ib) => ({
    listener: inboundListenerName(dp, ib),
    address: inboundAddress(dp, ib),
    port: ib.port,
    servicePort: ib.servicePort ?? ib.port,
    service: ib.tags['kuma.io/service']!,
    protocol: protocolOf(ib.tags),
    tags: ib.tags,
    policies: {},
  }));
  const outbounds: OutboundPolicies[] = targets.map((t) => {
    const eps = ctx.endpoints.get(t.service) ?? [];
    const vip = transparent ? ctx.vips?.get(t.service) : undefined;
    return {
      service: t.service,
      ...(t.listener !== undefined ? { listener: t.listener, address: t.address, port: t.port } : {}),
      protocol: serviceProtocol(eps, t.declaredProtocol),
      endpoints: eps,
      ...(vip !== undefined ? { vip } : {}),
      policies: {},
    };
  });
  const matchedPolicies: MatchedPolicy[] = [];
  const warnings: PolicyWarning[] = [];
  const fromEntries = inbounds.map(() => new Map<PolicyType, Collected[]>());
  const toEntries = outbounds.map(() => new Map<PolicyType, Collected[]>());

  for (const type of POLICY_TYPES) {
    for (const policy of ctx.sorted.get(type) ?? []) {
      const att = attachment(policy, dp, targets);
      if (att.inbounds.length === 0 && att.outbounds.length === 0) continue;
      const enabled = !disabled.has(toggleKey(type, policy.name));
      const top = topLevelTargetRef(policy);
      matchedPolicies.push({
        type,
        mesh: policy.mesh,
        name: policy.name,
        targetRef: top,
        enabled,
        inbounds: att.inbounds.map((a) => a.listener),
        outbounds: att.outbounds.map((a) => a.target.service),
      });
      const origin = (section: 'from' | 'to', entry: number): Collected => {
        const e = policy.spec[section]![entry]!;
        return { origin: { type, mesh: policy.mesh, name: policy.name, targetRefKind: top.kind, section, entry, entryTargetRef: e.targetRef, enabled }, conf: entryConf(e) };
      };
      for (const a of att.inbounds) {
        const i = inbounds.findIndex((ib) => ib.listener === a.listener);
        const list = fromEntries[i]!.get(type) ?? [];
        list.push(...a.entries.map((n) => origin('from', n)));
        fromEntries[i]!.set(type, list);
      }
      for (const a of att.outbounds) {
        const i = targets.indexOf(a.target);
        const list = toEntries[i]!.get(type) ?? [];
        list.push(...a.entries.map((n) => origin('to', n)));
        toEntries[i]!.set(type, list);
      }
    }
  }

  const mtls = meshMtlsOf(ctx.mesh);
  inbounds.forEach((ib, i) => {
    for (const [type, collected] of fromEntries[i]!) {
      collected.sort(byMergeOrder);
      const live = collected.filter((c) => c.origin.enabled);
      const rules = buildSubsetRules(live.map((c) => ({ subset: subsetOfTargetRef(c.origin.entryTargetRef), conf: c.conf, origin: c.origin })));
      if (rules === undefined) {
        warnings.push({ code: 'source-rules-too-many', message: `${type} on ${ib.listener}: the "from" entries name too many tag values to compile; the type is left out`, inbound: ib.listener });
        continue;
      }
      const policy: InboundPolicy<unknown> = {
        rules: rules.map((r) => ({ subset: r.subset, conf: r.conf, origins: r.origins })),
        origins: collected.map((c) => c.origin),
        sourceDependent: rules.some((r) => r.subset.length > 0),
      };
      (ib.policies as Record<InboundPolicyType, InboundPolicy<unknown>>)[type as InboundPolicyType] = policy;
      const warned = new Set<string>();
      for (const c of live) {
        const ref = { type, mesh: c.origin.mesh, name: c.origin.name };
        // STRICT mTLS: the client is its verified certificate. Otherwise (no mTLS, or PERMISSIVE's plaintext clients) its source address.
        if (type === 'MeshTrafficPermission' && c.origin.entryTargetRef.kind !== 'Mesh' && mtls?.mode !== 'STRICT' && !warned.has(c.origin.name)) {
          warned.add(c.origin.name);
          warnings.push({
            code: 'identity-unverifiable',
            message:
              `${c.origin.name} decides on clients of ${ib.listener} by ${describeRef(c.origin.entryTargetRef)}, but ` +
              (mtls
                ? `mesh "${ctx.meshName}" runs mTLS PERMISSIVE: a plaintext client is identified by its source address (the dataplane that owns it), which a workload able to send from that address can borrow; clients over mTLS by their certificate`
                : `the mesh has no mTLS: a client is identified by its source address (the dataplane that owns it), which a workload able to send from that address can borrow`),
            policy: ref,
            inbound: ib.listener,
          });
        }
        if (!isHttpish(ib.protocol) && httpOnly(type, c.conf) && !warned.has(`http:${c.origin.name}`)) {
          warned.add(`http:${c.origin.name}`);
          warnings.push({ code: 'http-conf-on-tcp', message: `${c.origin.name} sets HTTP-only ${type} settings on ${ib.listener}, whose protocol is ${ib.protocol}: they do not apply`, policy: ref, inbound: ib.listener });
        }
      }
    }
  });

  outbounds.forEach((ob, i) => {
    for (const [type, collected] of toEntries[i]!) {
      collected.sort(byMergeOrder);
      const live = collected.filter((c) => c.origin.enabled);
      const merge = RULE_MERGES[type] ?? mergeConfs;
      const conf = merge(live.map((c) => c.conf) as never[]);
      const policy: OutboundPolicy<unknown> = { ...(conf !== undefined ? { conf } : {}), origins: collected.map((c) => c.origin) };
      (ob.policies as Record<OutboundPolicyType, OutboundPolicy<unknown>>)[type as OutboundPolicyType] = policy;
      if (RULE_MERGES[type] && conf !== undefined) {
        const services = routeBackends(conf as MeshTCPRouteConf).map((r) => r.name);
        for (const s of services) (ob.routeEndpoints ??= {})[s] = ctx.endpoints.get(s) ?? [];
      }
      if (isHttpish(ob.protocol)) continue;
      for (const c of live) {
        if (c.origin.entryTargetRef.kind !== 'MeshService' || !httpOnly(type, c.conf)) continue;
        warnings.push({
          code: 'http-conf-on-tcp',
          message: `${c.origin.name} sets HTTP-only ${type} settings for service "${ob.service}", whose protocol is ${ob.protocol}: they do not apply`,
          policy: { type, mesh: c.origin.mesh, name: c.origin.name },
          outbound: ob.service,
        });
      }
    }
  });

  // The identity map is part of the config only where some rule depends on the client.
  const keys = new Set<string>();
  for (const ib of inbounds) {
    for (const p of Object.values(ib.policies) as Array<InboundPolicy<unknown>>) for (const r of p.rules) for (const t of r.subset) keys.add(t.key);
  }
  const sourceIdentities: SourceIdentity[] = [];
  if (keys.size > 0) {
    for (const address of [...ctx.identities.keys()].sort()) {
      const entry = ctx.identities.get(address)!;
      const tags: Record<string, string[]> = {};
      for (const key of [...keys].sort()) {
        const values = entry.tags.get(key);
        if (values) tags[key] = [...values].sort();
      }
      const names = [...entry.dataplanes].sort();
      sourceIdentities.push({ address, dataplanes: names, tags });
      if (names.length > 1) {
        warnings.push({ code: 'identity-ambiguous', message: `dataplanes ${names.join(', ')} share address ${address}: a client from it matches the tags of all of them` });
      }
    }
  }

  return {
    mesh: ctx.meshName,
    dataplane: dp.name,
    resource: dp,
    ...(mtls ? { mtls } : {}),
    inbounds,
    outbounds,
    identities: sourceIdentities,
    matchedPolicies,
    warnings,
  };
}
