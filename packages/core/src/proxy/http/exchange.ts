import type { FlowRecord } from '../../flows/index.ts';
import type { HttpExchangeContext, HttpPass, LocalReply } from '../chain.ts';
import { ms, runPasses, type ClusterRuntime, type EngineContext, type ListenerRuntime } from '../context.ts';
import { countStatusClass, type ClusterCounters } from '../stats.ts';
import type { ConnectFailure } from '../upstream.ts';

/**
 * What an HTTP exchange does the same whatever the codec (HTTP/1.1 in session.ts, HTTP/2 in
 * ../http2/session.ts): count it and run its request passes, say an upstream connect failure the
 * way Envoy does, and end it (counters, completion hooks, the flow published).
 */

/** Envoy's local reply body when the upstream failed before a response head. */
export const RESET_BEFORE_HEADERS = 'upstream connect error or disconnect/reset before headers. reset reason: ';

/** Which hooks a chain has, computed once per chain (chains change only with the config): a hook no pass has costs nothing per request. */
export interface ChainHooks {
  onRequest: boolean;
  onResponse: boolean;
  onComplete: boolean;
}
const hooksOfChain = new WeakMap<readonly HttpPass[], ChainHooks>();

export function chainHooks(passes: readonly HttpPass[]): ChainHooks {
  let hooks = hooksOfChain.get(passes);
  if (!hooks) {
    hooks = { onRequest: passes.some((p) => p.onRequest), onResponse: passes.some((p) => p.onResponse), onComplete: passes.some((p) => p.onComplete) };
    hooksOfChain.set(passes, hooks);
  }
  return hooks;
}

/** Counts the request and runs the `onRequest` passes; `next` after them (synchronously when they all are), `failed` when one throws or rejects. */
export function startExchange(
  ex: HttpExchangeContext,
  listener: ListenerRuntime,
  passes: readonly HttpPass[],
  stopped: () => boolean,
  next: () => void,
  failed: (err: unknown) => void,
  internalError: (err: unknown) => void,
): void {
  const counters = listener.http!;
  counters.downstream_rq_total++;
  counters.downstream_rq_active++;
  if (!chainHooks(passes).onRequest) {
    next();
    return;
  }
  let r: void | Promise<void>;
  try {
    r = runPasses(passes, (p) => p.onRequest?.(ex), stopped);
  } catch (err) {
    failed(err);
    return;
  }
  if (r) r.then(next, failed).catch(internalError);
  else next();
}

/** Envoy's answer when a cluster's circuit breaker is open: 503 with `x-envoy-overloaded` (flag UO). */
export const OVERFLOW_REPLY: LocalReply = Object.freeze({ status: 503, body: `${RESET_BEFORE_HEADERS}overflow`, headers: Object.freeze({ 'x-envoy-overloaded': 'true' }), verdict: 'error', reason: 'upstream_overflow' });

/** Counts the request in the cluster's requests in flight (max_requests); false, counted as an overflow, at the limit. */
export function startClusterRequest(cluster: ClusterRuntime): boolean {
  if (cluster.state.limits.startRequest()) return true;
  cluster.counters.upstream_rq_pending_overflow++;
  return false;
}

export type StreamTimeout = 'stream_idle_timeout' | 'max_stream_duration';

/** Counts a stream_idle_timeout or max_stream_duration; Envoy's 408 for it, for a response not yet started. */
export function streamTimeoutReply(listener: ListenerRuntime, reason: StreamTimeout): LocalReply {
  const counters = listener.http!;
  if (reason === 'stream_idle_timeout') counters.downstream_rq_idle_timeout++;
  else counters.downstream_rq_max_duration_reached++;
  return { status: 408, body: reason === 'stream_idle_timeout' ? 'stream timeout' : 'downstream duration timeout', verdict: 'error', reason };
}

/** Counts an upstream connect failure; the reply body Envoy gives for it. */
export function connectFailureBody(counters: ClusterCounters, failure: ConnectFailure): string {
  if (failure.reason === 'upstream_connect_timeout') counters.upstream_cx_connect_timeout++;
  counters.upstream_cx_connect_fail++;
  return `${RESET_BEFORE_HEADERS}${failure.reason === 'upstream_connect_timeout' ? 'connection timeout' : 'connection failure'}`;
}

/** The exchange is over: counters, the completion hooks (an access log that throws is counted, never fatal), the flow published. */
export function completeExchange(ctx: EngineContext, listener: ListenerRuntime, ex: HttpExchangeContext & { readonly flow: FlowRecord }, passes: readonly HttpPass[], t0: number, upstream = listener.cluster): void {
  const counters = listener.http!;
  const flow = ex.flow;
  counters.downstream_rq_active--;
  counters.downstream_rq_completed++;
  if (ex.http.status !== undefined) countStatusClass(counters, ex.http.status);
  const cluster = upstream.counters;
  cluster.upstream_cx_tx_bytes_total += flow.bytes.fromClient;
  cluster.upstream_cx_rx_bytes_total += flow.bytes.toClient;
  flow.timings.totalMs = ms(t0, performance.now());
  for (const p of passes) {
    if (!p.onComplete) continue;
    try {
      p.onComplete(ex);
    } catch {
      listener.counters.pass_completion_errors++;
    }
  }
  ctx.flows.publish(flow);
}
