/**
 * The service graph of the flows in the live buffer: services as nodes (a dataplane's
 * `kuma.io/service`), an edge per caller → callee with its request rate, error share and p99
 * latency. Each call is counted once, on the caller's side when the caller is a dataplane (its
 * outbound flow), else on the callee's (inbound); denials are counted on whichever side denied.
 *
 * A presentation of the flows the control plane sends, not policy logic: which flows are errors is
 * `isErrorFlow`, the same rule the overview's error rate uses.
 */
import type { DataplaneSummary } from '../dataplanes/api/types.ts';
import { serviceHref } from '../dataplanes/dataplane-href.ts';
import type { Flow } from '../flows/api/types.ts';
import { isErrorFlow } from '../flows/flow-verdict.ts';
import { formatHostPort } from '../../lib/format.ts';

export interface ServiceNode {
  /** `<mesh>/<service>`, or `external/<address>` for a caller or callee outside the mesh. */
  id: string;
  label: string;
  kind: 'service' | 'external';
  mesh: string;
  dataplanes: string[];
  /** Requests per second into this node (the sum of its incoming edges). */
  inboundRate: number;
  href?: string;
}

export interface ServiceEdge {
  id: string;
  from: string;
  to: string;
  requests: number;
  /** Requests per second over the window the buffer covers. */
  rate: number;
  /** Share of requests with an error outcome, 0–100. */
  errorPct: number;
  p99Ms: number;
  /** Requests a policy denied (on either side). */
  denied: number;
  /** The flows page, filtered to this edge's flows. */
  href: string;
}

export interface ServiceGraph {
  nodes: ServiceNode[];
  edges: ServiceEdge[];
  /** Seconds of flows the numbers cover. */
  windowS: number;
}

const SERVICE_TAG = 'kuma.io/service';

/** The 99th percentile by nearest rank. */
export function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)]!;
}

interface EdgeAcc {
  from: string;
  to: string;
  totals: number[];
  errors: number;
  denied: number;
  /** Where the counted flows were recorded (set by the first counted one), for the flows-page link. */
  side?: { dataplane: string; direction: 'inbound' | 'outbound' };
  /** Where a denial-only edge was seen. */
  seen: { dataplane: string; direction: 'inbound' | 'outbound' };
  targets: Set<string>;
}

/** The services at both ends of a flow, as `<mesh>/<service>`; undefined outside the mesh. */
export interface FlowServices {
  /** The caller: the service of the dataplane that owns the client address. */
  caller: (f: Flow) => string | undefined;
  /** The callee: the mesh service a mesh outbound's cluster names, else the service of the dataplane that owns the original destination. */
  callee: (f: Flow) => string | undefined;
}

export function flowServices(dataplanes: DataplaneSummary[]): FlowServices {
  const key = (mesh: string, name: string) => `${mesh}/${name}`;
  const byAddress = new Map<string, string>();
  const services = new Set<string>();
  for (const dp of dataplanes) {
    const id = key(dp.mesh, (dp.tags[SERVICE_TAG] ?? dp.name).split(',')[0]!);
    byAddress.set(dp.address, id);
    services.add(id);
  }
  return {
    caller: (f) => byAddress.get(f.client.address),
    // Through a mesh outbound the cluster is the service; through the passthrough, the address says.
    callee: (f) => (services.has(key(f.mesh, f.cluster)) ? key(f.mesh, f.cluster) : byAddress.get(f.destination.address)),
  };
}

export function serviceGraph(flows: Flow[], dataplanes: DataplaneSummary[], now: number, windowMs = 60_000): ServiceGraph {
  const key = (mesh: string, name: string) => `${mesh}/${name}`;
  const serviceOfDp = new Map<string, string>();
  const nodes = new Map<string, ServiceNode>();
  for (const dp of dataplanes) {
    const service = (dp.tags[SERVICE_TAG] ?? dp.name).split(',')[0]!;
    const id = key(dp.mesh, service);
    serviceOfDp.set(key(dp.mesh, dp.name), id);
    const node = nodes.get(id) ?? { id, label: service, kind: 'service' as const, mesh: dp.mesh, dataplanes: [], inboundRate: 0 };
    node.dataplanes.push(dp.name);
    nodes.set(id, node);
  }
  const external = (address: string): string => {
    const id = `external/${address}`;
    if (!nodes.has(id)) nodes.set(id, { id, label: address, kind: 'external', mesh: '', dataplanes: [], inboundRate: 0 });
    return id;
  };
  const named = flowServices(dataplanes);
  const callerOf = (f: Flow): { id: string; meshed: boolean } => {
    const id = named.caller(f);
    return id ? { id, meshed: true } : { id: external(f.client.address), meshed: false };
  };
  const calleeOf = (f: Flow): string => named.callee(f) ?? external(formatHostPort(f.destination.address, f.destination.port));

  const from = now - windowMs;
  let oldest = now;
  const edges = new Map<string, EdgeAcc>();
  const edgeOf = (a: string, b: string, f: Flow): EdgeAcc => {
    const id = `${a}->${b}`;
    let e = edges.get(id);
    if (!e) edges.set(id, (e = { from: a, to: b, totals: [], errors: 0, denied: 0, seen: { dataplane: f.dataplane, direction: f.direction }, targets: new Set() }));
    return e;
  };
  const count = (e: EdgeAcc, f: Flow, target: string) => {
    e.totals.push(f.timings.totalMs);
    if (isErrorFlow(f)) e.errors++;
    e.side ??= { dataplane: f.dataplane, direction: f.direction };
    if (e.side.dataplane === f.dataplane) e.targets.add(target);
  };
  for (const f of flows) {
    if (f.start < from) continue;
    const own = serviceOfDp.get(key(f.mesh, f.dataplane));
    if (!own) continue;
    oldest = Math.min(oldest, f.start);
    if (f.direction === 'outbound') {
      const e = edgeOf(own, calleeOf(f), f);
      if (f.verdict === 'denied') e.denied++;
      count(e, f, formatHostPort(f.destination.address, f.destination.port));
    } else {
      const caller = callerOf(f);
      const e = edgeOf(caller.id, own, f);
      if (f.verdict === 'denied') e.denied++;
      // A meshed caller's own outbound flow already counts this request.
      if (!caller.meshed) count(e, f, f.client.address);
    }
  }
  const windowS = Math.max(10, Math.min(windowMs, now - oldest) / 1000);

  const out: ServiceEdge[] = [];
  for (const [id, e] of edges) {
    if (e.totals.length === 0 && e.denied === 0) continue;
    const rate = e.totals.length / windowS;
    const side = e.side ?? e.seen;
    const target = e.targets.size === 1 ? [...e.targets][0]! : side.direction === 'outbound' ? (nodes.get(e.to)?.label ?? '') : (nodes.get(e.from)?.label ?? '');
    const q = new URLSearchParams({ dataplane: side.dataplane, direction: side.direction, q: target });
    out.push({
      id,
      from: e.from,
      to: e.to,
      requests: e.totals.length,
      rate,
      errorPct: e.totals.length ? (e.errors / e.totals.length) * 100 : 0,
      p99Ms: p99(e.totals),
      denied: e.denied,
      href: `/flows?${q.toString()}`,
    });
    const to = nodes.get(e.to);
    if (to) to.inboundRate += rate;
  }
  for (const n of nodes.values()) {
    if (n.kind !== 'service') continue;
    n.href = serviceHref(n.mesh, n.label);
  }
  // External nodes with no edge left (every flow of theirs was counted elsewhere) are not drawn.
  const linked = new Set(out.flatMap((e) => [e.from, e.to]));
  return { nodes: [...nodes.values()].filter((n) => n.kind === 'service' || linked.has(n.id)), edges: out, windowS };
}
