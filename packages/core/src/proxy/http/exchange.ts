import type { FlowRecord } from '../../flows/index.ts';
import { routeRequest, type CompiledRoute, type HttpRouter, type RoutableRequest } from '../../policies/mesh-http-route/router.ts';
import type { ActingPolicy, HttpExchangeContext, HttpPass, LocalReply } from '../chain.ts';
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

/** What an exchange keeps of MeshHTTPRoute's decision for its request. */
export interface RoutedExchange {
  readonly flow: FlowRecord;
  readonly request: RoutableRequest;
  /** The cluster the request goes to: the listener's, or the one its route picked. */
  cluster: ClusterRuntime;
  /** The route that matched (its response header edits apply to the answer). */
  routed: CompiledRoute | undefined;
  /** RING_HASH/MAGLEV: the request's key. */
  hash: number | undefined;
  record(policy: ActingPolicy, action: string): void;
}

/**
 * Whether the request, its passes run, goes upstream: not when a pass answered it (`local`), nor
 * when MeshHTTPRoute answers it (redirect, no route), nor when the chosen cluster is at its
 * max_requests (counted there in flight otherwise). Returns the answer to give instead; undefined
 * when the request goes (counted in its cluster: the exchange must free that slot when it ends).
 */
export function admitRequest(ex: RoutedExchange, local: LocalReply | null, router: HttpRouter | undefined, random: () => number, sourceAddress: string): LocalReply | undefined {
  if (local) return local;
  const reply = router && routeExchange(ex, router, random, sourceAddress);
  if (reply) return reply;
  return startClusterRequest(ex.cluster) ? undefined : OVERFLOW_REPLY;
}

/**
 * MeshHTTPRoute for the exchange's request: the route, hash key and cluster the router picks are
 * kept on the exchange (the cluster and the route policy recorded on the flow). Returns the local
 * answer when the router gives one instead (redirect, no route), undefined when routed.
 */
function routeExchange(ex: RoutedExchange, router: HttpRouter, random: () => number, sourceAddress: string): LocalReply | undefined {
  const d = routeRequest(router, ex.request, random, sourceAddress, ex.cluster);
  if (d.reply) return d.reply;
  ex.routed = d.route;
  ex.hash = d.hash;
  if (d.cluster !== ex.cluster) {
    ex.cluster = d.cluster;
    ex.flow.cluster = d.cluster.config.name;
  }
  if (d.policy) ex.record(d.policy, `route ${ex.cluster.config.name}`);
  return undefined;
}

/** Envoy's answer when a cluster's circuit breaker is open: 503 with `x-envoy-overloaded` (flag UO). */
export const OVERFLOW_REPLY: LocalReply = Object.freeze({ status: 503, body: `${RESET_BEFORE_HEADERS}overflow`, headers: Object.freeze({ 'x-envoy-overloaded': 'true' }), verdict: 'error', reason: 'upstream_overflow' });

/** Counts the request in the cluster's requests in flight (max_requests); false, counted as an overflow, at the limit. */
function startClusterRequest(cluster: ClusterRuntime): boolean {
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
