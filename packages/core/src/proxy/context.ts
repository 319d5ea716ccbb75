import type { FlowAddress, FlowIds, FlowLog, CaptureKind, FlowProtocol, FlowRecord, FlowTls } from '../flows/index.ts';
import type { HttpPass, ListenerPasses } from './chain.ts';
import type { UpstreamPool } from './http/pool.ts';
import type { ClusterRuntime } from './cluster-state.ts';
import type { Http2UpstreamPool } from './http2/pool.ts';
import type { ListenerConfig } from './config.ts';
import type { TcpRelay } from './relay.ts';
import type { HttpRouter } from '../policies/mesh-http-route/router.ts';
import type { TcpSplit } from '../policies/mesh-tcp-route/split.ts';
import type { HttpCounters, ListenerCounters, ProxyStats } from './stats.ts';
import type { UpstreamConnector } from './upstream.ts';

/** Where the engine and its parts say what they did (the dp prints it; tests collect it). */
export type EngineLog = (level: 'info' | 'warn' | 'error', message: string) => void;

// The engine's parts take the cluster's runtime from here with the rest of the context.
export type { ClusterRuntime };

/** A listener as the data path uses it; rebuilt for each config version, counters kept by name. */
export interface ListenerRuntime {
  readonly config: ListenerConfig;
  readonly counters: ListenerCounters;
  readonly cluster: ClusterRuntime;
  /** `http.<prefix>.*` counters, for HTTP listeners. */
  readonly http: HttpCounters | undefined;
  /** MeshHTTPRoute: each request picks its route and cluster (absent: every request goes to `cluster`). */
  readonly router?: HttpRouter;
  /** MeshTCPRoute: each connection picks its cluster. */
  readonly tcpSplit?: TcpSplit;
  readonly passes: ListenerPasses;
  /** mTLS inbound: the runtime of the TLS filter chains (connections that completed the handshake). */
  readonly tls?: ListenerRuntime;
  /** This is the `tls` side of a listener. */
  readonly tlsSide?: boolean;
}

/** An open downstream connection, as the drain sees it. */
export interface OpenConnection {
  /** Finish what is in flight, then close (HTTP: after the current response; TCP: nothing to do). */
  drain(): void;
  /** Close now. */
  abort(): void;
}

/** What every session needs from the engine. */
export interface EngineContext {
  readonly mesh: string;
  readonly dataplane: string;
  readonly flows: FlowLog;
  readonly ids: FlowIds;
  readonly stats: ProxyStats;
  readonly upstreams: UpstreamConnector;
  /** Idle keep-alive upstream connections of the HTTP listeners. */
  readonly httpPool: UpstreamPool;
  /** Upstream HTTP/2 connections (shared by the streams to one endpoint). */
  readonly http2Pool: Http2UpstreamPool;
  readonly relay: TcpRelay;
  readonly random: () => number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** 0: no request-headers timeout. */
  readonly requestHeadersTimeoutMs: number;
  readonly open: Set<OpenConnection>;
  draining: boolean;
  /**
   * The HTTP chain in force now for a listener: a new config version (a policy toggled, say) applies
   * from the next request on, keep-alive connections accepted under the old one included.
   */
  httpPasses(listener: ListenerRuntime): readonly HttpPass[];
}

/** A connection after accept and hand-off: who called, where they were going, which listener serves it. */
export interface Accepted {
  readonly connectionId: string;
  /** Date.now() at accept. */
  readonly start: number;
  /** performance.now() at accept. */
  readonly t0: number;
  readonly listener: ListenerRuntime;
  readonly capture: CaptureKind;
  readonly client: FlowAddress;
  readonly destination: FlowAddress;
  readonly family: 4 | 6;
  /** mTLS inbound: how the client came in (its verified identity). */
  readonly tls?: FlowTls;
}

/** What newFlow reads of an accepted connection (an `Accepted` is one; bench/flow-ring.ts builds one without an engine). */
export type FlowStart = Pick<Accepted, 'connectionId' | 'capture' | 'client' | 'destination' | 'tls'> & {
  readonly listener: { readonly config: Pick<ListenerConfig, 'direction' | 'name'> & { readonly cluster: { readonly name: string } } };
};

export function newFlow(ctx: Pick<EngineContext, 'mesh' | 'dataplane'>, a: FlowStart, protocol: FlowProtocol, id: string, start: number): FlowRecord {
  const l = a.listener.config;
  return {
    id,
    connectionId: a.connectionId,
    start,
    mesh: ctx.mesh,
    dataplane: ctx.dataplane,
    direction: l.direction,
    listener: l.name,
    cluster: l.cluster.name,
    capture: a.capture,
    protocol,
    client: a.client,
    destination: a.destination,
    upstream: undefined,
    bytes: { fromClient: 0, toClient: 0 },
    http: undefined,
    timings: { totalMs: 0 },
    verdict: 'forwarded',
    reason: undefined,
    policies: [],
    ...(a.tls ? { tls: a.tls } : {}),
  };
}

/** Milliseconds with 0.001 resolution (timings are sub-millisecond on a veth). */
export function ms(from: number, to: number): number {
  return Math.round((to - from) * 1000) / 1000;
}

/** Runs passes in order; synchronous unless a pass returns a promise. Stops when `stopped()` says so. */
export function runPasses<P>(passes: readonly P[], call: (p: P) => void | Promise<void>, stopped: () => boolean, from = 0): void | Promise<void> {
  for (let i = from; i < passes.length; i++) {
    if (stopped()) return;
    const r = call(passes[i]!);
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
      return (r as Promise<void>).then(() => runPasses(passes, call, stopped, i + 1));
    }
  }
}
