import type { FlowRecord } from '../../flows/index.ts';
import type { HttpRoute } from '../chain.ts';
import type { UpstreamEndpoint } from '../config.ts';
import { ms, type Accepted, type ClusterRuntime, type EngineContext } from '../context.ts';
import type { ConnectFailure } from '../upstream.ts';
import { connectFailureBody } from './exchange.ts';
import type { ExchangeState } from './exchange-state.ts';
import { UpstreamConn } from './pool.ts';

/** What finding an upstream connection needs of its exchange, and tells it. */
export interface ConnectionSeeker {
  readonly ctx: EngineContext;
  readonly accepted: Accepted;
  readonly state: ExchangeState;
  readonly flow: FlowRecord;
  readonly route: HttpRoute;
  readonly cluster: ClusterRuntime;
  /** Waiting for a connection of the cluster to be freed (max_connections reached): cancelled when the exchange ends. */
  waiting: (() => void) | undefined;
  /** A connection to send the request on: pooled (`reused`) or new. */
  use(conn: UpstreamConn, reused: boolean): void;
  /** The connection could not be opened (already counted); `body`: Envoy's reply text for it. */
  connectFailed(failure: ConnectFailure, body: string, connectMs: number): void;
  /** The cluster's circuit breaker is open (max_connections and max_pending_requests reached). */
  overflow(): void;
  internalError(err: unknown): void;
}

/**
 * Finds the connection to `endpoint` a request goes on: an idle pooled one, a new one, or — at the
 * cluster's max_connections — the next one freed (an idle connection to another endpoint of the
 * cluster is closed to free a slot).
 */
export function seekConnection(ex: ConnectionSeeker, endpoint: UpstreamEndpoint): void {
  ex.waiting = undefined;
  const { ctx, accepted: a, cluster } = ex;
  const source = ctx.upstreams.source(cluster, endpoint, a.client);
  // An mTLS connection is pooled apart from a plaintext one to the same address.
  const key = `${endpoint.address}|${endpoint.port}|${source.localAddress ?? ''}${cluster.config.tls ? `|tls:${cluster.config.name}` : ''}`;
  const pooled = ctx.httpPool.acquire(key);
  if (pooled) {
    ex.flow.timings.connectMs ??= 0;
    ex.use(pooled, true);
    return;
  }
  const limits = cluster.state.limits;
  if (!limits.canConnect()) {
    cluster.counters.upstream_cx_overflow++;
    const resume = (): void => {
      if (!ex.state.ended) seekConnection(ex, endpoint);
    };
    if (limits.waitForConnection(resume)) {
      ex.waiting = resume;
      // An idle connection to another endpoint holds the slot this request needs: free it.
      ctx.httpPool.closeIdleOf(cluster.state);
    } else {
      cluster.counters.upstream_rq_pending_overflow++;
      ex.overflow();
    }
    return;
  }
  limits.connectionOpened();
  ex.state.request = 'connecting';
  cluster.counters.upstream_cx_total++;
  const started = performance.now();
  ctx.upstreams
    .connect(endpoint, source, ex.route.connectTimeoutMs, cluster.config.tls, cluster.counters)
    .then(
      ({ socket, connectMs }) => {
        cluster.counters.upstream_cx_active++;
        const conn = new UpstreamConn(socket, key, ctx.httpPool, cluster);
        if (ex.state.ended) {
          ctx.httpPool.release(conn);
          return;
        }
        ex.flow.timings.connectMs = ms(0, connectMs);
        ex.use(conn, false);
      },
      (failure: ConnectFailure) => {
        const body = connectFailureBody(cluster.counters, failure);
        limits.connectionFreed(true);
        if (ex.state.ended) return;
        ex.connectFailed(failure, body, ms(started, performance.now()));
      },
    )
    .catch((err: unknown) => ex.internalError(err));
}
