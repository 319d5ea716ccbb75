import type {
  MeshAccessLogConf,
  MeshCircuitBreakerConf,
  MeshFaultInjectionConf,
  MeshHealthCheckConf,
  MeshRateLimitConf,
  MeshRetryConf,
  MeshTimeoutConf,
  PermissionAction,
} from '../model/index.ts';
import { subsetMatches, type DataplanePolicies, type InboundPolicy, type SourceIdentity, type SubsetTag } from '../policy/index.ts';

/**
 * The policy engine's compiled config (`DataplanePolicies`) read per listener, in the form the Envoy
 * builders need. Client-dependent rules (permissions, faults) become concrete sets of client
 * addresses: meshcap has no mTLS, a client is the dataplane owning its source address
 * (`identities`), and an address no dataplane owns has no tags.
 */

/** A set of clients: exactly `addresses`, or everyone except them (unknown addresses included). */
export interface ClientSet {
  mode: 'only' | 'except';
  addresses: readonly string[];
}

export const EVERYONE: ClientSet = { mode: 'except', addresses: [] };

export interface PermissionRule {
  clients: ClientSet;
  action: PermissionAction;
}

export interface FaultRule {
  clients: ClientSet;
  /** Node ids (`mesh.name`) of the dataplanes in `clients` (or, for `except`, of those left out). */
  nodes: readonly string[];
  conf: MeshFaultInjectionConf;
}

/** The enabled policies acting on one listener. */
export interface ListenerPolicies {
  /** Disjoint client sets, each with its action; a client in none is denied. Absent: no permission applies (all pass). */
  MeshTrafficPermission?: readonly PermissionRule[];
  /** Disjoint client sets, each with its faults. */
  MeshFaultInjection?: readonly FaultRule[];
  MeshTimeout?: MeshTimeoutConf;
  MeshRetry?: MeshRetryConf;
  MeshRateLimit?: MeshRateLimitConf;
  MeshAccessLog?: MeshAccessLogConf;
  MeshCircuitBreaker?: MeshCircuitBreakerConf;
  MeshHealthCheck?: MeshHealthCheckConf;
}

export const NO_POLICIES: ListenerPolicies = Object.freeze({});

// ---- client-set algebra (finite sets and their complements) ----

function union(a: ClientSet, b: ClientSet): ClientSet {
  const A = new Set(a.addresses);
  const B = new Set(b.addresses);
  if (a.mode === 'only' && b.mode === 'only') return { mode: 'only', addresses: [...new Set([...A, ...B])] };
  if (a.mode === 'except' && b.mode === 'except') return { mode: 'except', addresses: [...A].filter((x) => B.has(x)) };
  const [only, except] = a.mode === 'only' ? [A, B] : [B, A];
  return { mode: 'except', addresses: [...except].filter((x) => !only.has(x)) };
}

function minus(a: ClientSet, b: ClientSet): ClientSet {
  const A = new Set(a.addresses);
  const B = new Set(b.addresses);
  if (a.mode === 'only') return { mode: 'only', addresses: [...A].filter((x) => (b.mode === 'only' ? !B.has(x) : B.has(x))) };
  if (b.mode === 'only') return { mode: 'except', addresses: [...new Set([...A, ...B])] };
  return { mode: 'only', addresses: [...B].filter((x) => !A.has(x)) };
}

export function isEmptySet(s: ClientSet): boolean {
  return s.mode === 'only' && s.addresses.length === 0;
}

/** The clients a rule's subset names: with a positive tag only known dataplanes qualify; with none, unknown addresses do too. */
function clientsOf(subset: readonly SubsetTag[], identities: readonly SourceIdentity[]): ClientSet {
  if (subset.length === 0) return EVERYONE;
  const matching = identities.filter((i) => subsetMatches(subset, i.tags)).map((i) => i.address);
  if (subset.some((t) => !t.not)) return { mode: 'only', addresses: matching };
  const inSet = new Set(matching);
  return { mode: 'except', addresses: identities.map((i) => i.address).filter((a) => !inSet.has(a)) };
}

/** Rules apply first-match: each one's clients less those of the rules before it, so the sets come out disjoint. */
function firstMatchSets<C>(policy: InboundPolicy<C>, identities: readonly SourceIdentity[]): Array<{ clients: ClientSet; conf: C }> {
  let claimed: ClientSet = { mode: 'only', addresses: [] };
  const out: Array<{ clients: ClientSet; conf: C }> = [];
  for (const rule of policy.rules) {
    const own = clientsOf(rule.subset, identities);
    const clients = minus(own, claimed);
    claimed = union(claimed, own);
    if (!isEmptySet(clients)) out.push({ clients, conf: rule.conf });
  }
  return out;
}

/** The conf of a type that does not depend on the client (its `from` allows only `Mesh`): the catch-all rule's. */
function meshWide<C>(policy: InboundPolicy<C> | undefined): C | undefined {
  return policy?.rules.find((r) => r.subset.length === 0)?.conf;
}

/** Policies per listener name, for inbounds and declared outbounds. */
export function listenerPolicies(dp: DataplanePolicies | undefined): Map<string, ListenerPolicies> {
  const out = new Map<string, ListenerPolicies>();
  if (!dp) return out;
  const nodesAt = new Map(dp.identities.map((i) => [i.address, i.dataplanes.map((name) => `${dp.mesh}.${name}`)]));
  const nodesOf = (addresses: readonly string[]): string[] => [...new Set(addresses.flatMap((a) => nodesAt.get(a) ?? []))];
  for (const ib of dp.inbounds) {
    const p = ib.policies;
    const mtp = p.MeshTrafficPermission;
    const mfi = p.MeshFaultInjection;
    out.set(ib.listener, {
      // A MeshTrafficPermission whose entries are all toggled off leaves no rules: then none applies.
      MeshTrafficPermission: mtp && mtp.rules.length > 0 ? firstMatchSets(mtp, dp.identities).map((r) => ({ clients: r.clients, action: r.conf.action })) : undefined,
      MeshFaultInjection: mfi ? firstMatchSets(mfi, dp.identities).map((r) => ({ clients: r.clients, nodes: nodesOf(r.clients.addresses), conf: r.conf })) : undefined,
      MeshTimeout: meshWide(p.MeshTimeout),
      MeshRateLimit: meshWide(p.MeshRateLimit),
      MeshAccessLog: meshWide(p.MeshAccessLog),
      MeshCircuitBreaker: meshWide(p.MeshCircuitBreaker),
    });
  }
  for (const ob of dp.outbounds) {
    if (ob.listener === undefined) continue;
    const p = ob.policies;
    out.set(ob.listener, {
      MeshTimeout: p.MeshTimeout?.conf,
      MeshRetry: p.MeshRetry?.conf,
      MeshAccessLog: p.MeshAccessLog?.conf,
      MeshCircuitBreaker: p.MeshCircuitBreaker?.conf,
      MeshHealthCheck: p.MeshHealthCheck?.conf,
    });
  }
  return out;
}
