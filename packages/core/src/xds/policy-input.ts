import type {
  MeshAccessLogConf,
  MeshCircuitBreakerConf,
  MeshFaultInjectionConf,
  MeshHealthCheckConf,
  MeshRateLimitConf,
  MeshRetryConf,
  MeshTimeoutConf,
  MeshHTTPRouteConf,
  MeshTCPRouteConf,
  MeshLoadBalancingStrategyConf,
  PermissionAction,
} from '../model/index.ts';
import { isIP } from 'node:net';
import { vipListenerName, vipPorts } from '../dns/vips.ts';
import { canonicalAddress } from '../model/index.ts';
import type { IdentityPolicy, IdentityRule } from '../policies/mesh-traffic-permission/identity.ts';
import { subsetMatches, type DataplanePolicies, type OutboundPolicies, type IdentityTags, type InboundPolicies, type InboundPolicy, type SourceIdentity } from '../policy/index.ts';

/**
 * The policy engine's compiled config (`DataplanePolicies`) read per listener, in the form the Envoy
 * builders need. On an inbound the proxy picks each type's rule per client (first rule whose subset
 * contains the client's identity tags); here that pick is made for every known client address
 * (`identities`: meshcap has no mTLS, a client is the dataplane owning its source address) and for
 * an unknown one (no tags). Clients whose picks differ from the unknown client's form groups, each
 * rendered as its own filter chain matched by source address.
 */

/** A policy's name as the dump credits it (filter chain metadata `io.meshcap.policies`). */
export interface ActingRef {
  type: string;
  name: string;
}

/** The enabled policies acting on one listener (for one group of clients, on an inbound). */
export interface ListenerPolicies {
  /** What the clients get; absent: no permission applies (all pass). */
  MeshTrafficPermission?: PermissionAction;
  MeshFaultInjection?: MeshFaultInjectionConf;
  MeshTimeout?: MeshTimeoutConf;
  MeshRetry?: MeshRetryConf;
  MeshRateLimit?: MeshRateLimitConf;
  MeshAccessLog?: MeshAccessLogConf;
  MeshCircuitBreaker?: MeshCircuitBreakerConf;
  MeshHealthCheck?: MeshHealthCheckConf;
  MeshHTTPRoute?: MeshHTTPRouteConf;
  MeshTCPRoute?: MeshTCPRouteConf;
  MeshLoadBalancingStrategy?: MeshLoadBalancingStrategyConf;
  /** The outbound's route backends' endpoints (with tags), by service: the clusters and subset clusters the routes name. */
  routeEndpoints?: OutboundPolicies['routeEndpoints'];
  /** The policies behind the settings above, one per type, in type order. */
  acting?: readonly ActingRef[];
  /**
   * Inbound: clients (by source address) whose rules differ from those of an unknown client, one
   * group per distinct combination of rules; each becomes a filter chain matched on
   * `source_prefix_ranges`. The fields above are what every other client gets (the default chain).
   */
  clientGroups?: readonly ClientGroup[];
  /** Outbound passthrough: one chain per destination service and port (see DestinationGroup). */
  destinationGroups?: readonly DestinationGroup[];
  /** Inbound: the MeshTrafficPermission rules by client identity, for the mTLS chain (first match wins, the rest denied). */
  identityRules?: readonly IdentityRule[];
  /** The mTLS chain: those rules as RBAC policies on verified identities (replaces `MeshTrafficPermission`). */
  identityPolicies?: readonly IdentityPolicy[];
}

/**
 * Outbound passthrough: the service whose endpoints a connection's original destination is, as the
 * proxy names it, and that service's `to` policies for connections (timeouts, access log). One
 * group per service and port, rendered as a filter chain matched on `prefix_ranges` and
 * `destination_port`.
 */
export interface DestinationGroup {
  service: string;
  addresses: readonly string[];
  port: number;
  policies: ListenerPolicies;
}

export interface ClientGroup {
  /** Source addresses (`identities`), in identity order. */
  addresses: readonly string[];
  policies: ListenerPolicies;
}

export const NO_POLICIES: ListenerPolicies = Object.freeze({});

/** Who the dump credits with a Deny no rule made, as the proxy's traffic-permission pass does. */
export const DEFAULT_DENY_NAME = '(default deny)';

const NO_TAGS: IdentityTags = Object.freeze({});

/** The types whose inbound conf the proxy picks per client, in the proxy's pass order. */
const SOURCE_TYPES = ['MeshTrafficPermission', 'MeshRateLimit', 'MeshFaultInjection', 'MeshTimeout', 'MeshAccessLog'] as const;

/** Rule index the proxy's RuleSource picks for these tags: -1 none matches, -2 the type has no rules. */
function ruleIndex(policy: InboundPolicy<unknown> | undefined, tags: IdentityTags): number {
  if (!policy || policy.rules.length === 0) return -2;
  const t = policy.sourceDependent ? tags : NO_TAGS;
  return policy.rules.findIndex((r) => subsetMatches(r.subset, t));
}

/** The confs a client with these rule indices gets, as the proxy's passes pick them. */
function pickedPolicies(ib: InboundPolicies, indices: readonly number[]): ListenerPolicies {
  const out: Record<string, unknown> = {};
  const acting: ActingRef[] = [];
  SOURCE_TYPES.forEach((type, k) => {
    const policy = ib.policies[type] as InboundPolicy<unknown> | undefined;
    const i = indices[k]!;
    if (!policy || i === -2) return;
    if (i === -1) {
      // No rule for the client: MeshTrafficPermission denies (Kuma's RBAC default), the others do not apply.
      if (type === 'MeshTrafficPermission') {
        out[type] = 'Deny';
        acting.push({ type, name: DEFAULT_DENY_NAME });
      }
      return;
    }
    const rule = policy.rules[i]!;
    const by = actingOf(rule.origins);
    if (!by) return; // every entry of the rule toggled off: the proxy applies nothing
    out[type] = type === 'MeshTrafficPermission' ? (rule.conf as { action: PermissionAction }).action : rule.conf;
    acting.push({ type, name: by });
  });
  if (acting.length > 0) out['acting'] = acting;
  return out as ListenerPolicies;
}

/** The last enabled entry in merge order (the proxy's `actingPolicy`). */
function actingOf(origins: ReadonlyArray<{ enabled: boolean; name: string }>): string | undefined {
  for (let i = origins.length - 1; i >= 0; i--) if (origins[i]!.enabled) return origins[i]!.name;
  return undefined;
}

/**
 * The inbound's policies for an unknown client, plus one group per distinct combination of rules
 * the known clients get (those getting the unknown client's combination stay on the default chain).
 * Groups are ordered by their first address in `identities`.
 */
function inboundPolicies(ib: InboundPolicies, identities: readonly SourceIdentity[]): ListenerPolicies {
  const indicesFor = (tags: IdentityTags): number[] => SOURCE_TYPES.map((t) => ruleIndex(ib.policies[t] as InboundPolicy<unknown> | undefined, tags));
  const fallback = indicesFor(NO_TAGS);
  const groups = new Map<string, { indices: number[]; addresses: string[] }>();
  const seen = new Set<string>();
  for (const id of identities) {
    if (seen.has(id.address)) continue; // first entry wins, as in the proxy's lookup
    seen.add(id.address);
    const indices = indicesFor(id.tags);
    const key = indices.join(',');
    if (key === fallback.join(',')) continue;
    const g = groups.get(key);
    if (g) g.addresses.push(id.address);
    else groups.set(key, { indices, addresses: [id.address] });
  }
  // The cluster's settings (not per client in Envoy; the proxy does not enforce MeshCircuitBreaker): an unknown client's rule.
  const mcb = ib.policies.MeshCircuitBreaker;
  const mcbRule = mcb ? mcb.rules[ruleIndex(mcb, NO_TAGS)] : undefined;
  const base = { ...pickedPolicies(ib, fallback), MeshCircuitBreaker: mcbRule && actingOf(mcbRule.origins) ? mcbRule.conf : undefined, identityRules: identityRulesOf(ib) };
  if (groups.size === 0) return base;
  return { ...base, clientGroups: [...groups.values()].map((g) => ({ addresses: g.addresses, policies: pickedPolicies(ib, g.indices) })) };
}

/** The inbound's MeshTrafficPermission rules with the policy each is credited to (rules whose entries are all toggled off are left out). */
function identityRulesOf(ib: InboundPolicies): IdentityRule[] | undefined {
  const mtp = ib.policies.MeshTrafficPermission;
  if (!mtp || mtp.rules.length === 0) return undefined;
  const out: IdentityRule[] = [];
  for (const r of mtp.rules) {
    const by = actingOf(r.origins);
    if (by) out.push({ subset: r.subset, action: (r.conf as { action: PermissionAction }).action, policy: by });
  }
  return out;
}

/** Policies per listener name, for inbounds and declared outbounds. */
export function listenerPolicies(dp: DataplanePolicies | undefined): Map<string, ListenerPolicies> {
  const out = new Map<string, ListenerPolicies>();
  if (!dp) return out;
  for (const ib of dp.inbounds) out.set(ib.listener, inboundPolicies(ib, dp.identities));
  for (const ob of dp.outbounds) {
    if (ob.listener !== undefined) out.set(ob.listener, outboundPolicies(ob));
    // The service's VIP listeners (proxy/config.ts makes them) take its `to` policies too.
    if (ob.vip !== undefined) {
      const p = outboundPolicies(ob);
      for (const port of vipPorts(ob.endpoints.map((e) => e.port))) {
        const name = vipListenerName(ob.vip, port);
        if (!out.has(name)) out.set(name, p);
      }
    }
  }
  return out;
}

/** The enabled `to` policies of one outbound service. */
export function outboundPolicies(ob: DataplanePolicies['outbounds'][number]): ListenerPolicies {
  const p = ob.policies;
  const acting: ActingRef[] = [];
  const conf = <C>(type: string, o: { conf?: C; origins: ReadonlyArray<{ enabled: boolean; name: string }> } | undefined): C | undefined => {
    const by = o?.conf === undefined ? undefined : actingOf(o.origins);
    if (by) acting.push({ type, name: by });
    return o?.conf;
  };
  return {
    MeshTimeout: conf('MeshTimeout', p.MeshTimeout),
    MeshRetry: conf('MeshRetry', p.MeshRetry),
    MeshAccessLog: conf('MeshAccessLog', p.MeshAccessLog),
    MeshCircuitBreaker: conf('MeshCircuitBreaker', p.MeshCircuitBreaker),
    MeshHealthCheck: conf('MeshHealthCheck', p.MeshHealthCheck),
    MeshHTTPRoute: conf('MeshHTTPRoute', p.MeshHTTPRoute),
    MeshTCPRoute: conf('MeshTCPRoute', p.MeshTCPRoute),
    MeshLoadBalancingStrategy: conf('MeshLoadBalancingStrategy', p.MeshLoadBalancingStrategy),
    routeEndpoints: ob.routeEndpoints,
    acting: acting.length > 0 ? acting : undefined,
  };
}

/**
 * The outbound passthrough of one IP family: per service reached at an endpoint of that family,
 * the policies the proxy applies to a connection whose original destination is that endpoint
 * (what reaches a TCP relay: timeouts and the access log). The first service listing a destination
 * wins, as in the proxy's lookup.
 */
export function passthroughPolicies(dp: DataplanePolicies | undefined, family: 4 | 6): ListenerPolicies {
  if (!dp) return NO_POLICIES;
  const seen = new Set<string>();
  const groups = new Map<string, { service: string; addresses: string[]; port: number; policies: ListenerPolicies }>();
  for (const ob of dp.outbounds) {
    const all = outboundPolicies(ob);
    if (all.MeshTimeout === undefined && all.MeshAccessLog === undefined) continue;
    const policies: ListenerPolicies = { MeshTimeout: all.MeshTimeout, MeshAccessLog: all.MeshAccessLog, acting: all.acting?.filter((a) => a.type === 'MeshTimeout' || a.type === 'MeshAccessLog') };
    for (const e of ob.endpoints) {
      const address = canonicalAddress(e.address);
      if (isIP(address) !== family) continue;
      const key = `${address}|${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const id = `${ob.service}|${e.port}`;
      const g = groups.get(id) ?? { service: ob.service, addresses: [], port: e.port, policies };
      g.addresses.push(address);
      groups.set(id, g);
    }
  }
  return groups.size > 0 ? { destinationGroups: [...groups.values()] } : NO_POLICIES;
}
