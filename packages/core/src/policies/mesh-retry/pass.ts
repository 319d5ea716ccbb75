import { durationToMs } from '../../model/policies/common.ts';
import type { ActingPolicy, HttpExchangeContext, HttpPass, HttpRetryPolicy } from '../../proxy/chain.ts';
import type { Applied, ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass } from '../../proxy/policies/policy-pass.ts';
import { DEFAULT_GRPC_RETRY_ON } from './envoy.ts';
import type { GrpcRetryOn, MeshRetryConf } from './schema.ts';

/**
 * MeshRetry on an HTTP outbound (`to`). The engine repeats the request (never one with a body: it
 * is streamed, not kept) when the upstream answered a retriable status, reset before answering or
 * could not be connected, up to `numRetries` more attempts; each retry is recorded on the flow
 * (`retry 1/3 after 503`) and `http.attempts` counts them all. Kuma's `retryOn` maps as Envoy reads
 * it:
 * - `5xx`: any 5xx, resets and connect failures; `GatewayError`: 502/503/504, resets and connect
 *   failures; `Reset`; `ConnectFailure`; `Retriable4xx`: 409; a status code (`"503"`): that status;
 * - `HttpMethod*`: only those methods are retried. Without any, only safe or idempotent methods are
 *   (GET, HEAD, OPTIONS, PUT, DELETE, TRACE), whatever the conditions say;
 * - `EnvoyRatelimited`, `RefusedStream`, `Http3PostConnectFailure`: no HTTP/1.1 equivalent, ignored.
 * Without `retryOn`: `5xx`. `numRetries` defaults to 1 (Envoy's default). Backoff is Envoy's fully
 * jittered exponential one: before retry n, a random wait in [0, (2^n - 1) × baseInterval), capped
 * at maxInterval (defaults 25ms and 10 × baseInterval); randomness from the engine's `random()`.
 * The `grpc` section (what a gRPC service's route carries): a call answered trailers-only with one
 * of its statuses (default UNAVAILABLE) is retried, any method (gRPC calls are POSTs); on HTTP/2.
 * Not enforced: perTryTimeout, rate-limited backoff, retriable headers, host selection, the `tcp`
 * section (maxConnectAttempt).
 */

const DEFAULT_BASE_INTERVAL_MS = 25;
const RETRIABLE_4XX = 409;

type RetryOn = HttpRetryPolicy['on'][number];

interface Retry {
  policy: ActingPolicy;
  numRetries: number;
  on: RetryOn[];
  methods: string[] | undefined;
  grpcStatuses?: number[];
  baseMs: number;
  maxMs: number;
}

/** gRPC status codes of Kuma's `grpc.retryOn` names. */
const GRPC_STATUS: Record<GrpcRetryOn, number> = { Canceled: 1, DeadlineExceeded: 4, ResourceExhausted: 8, Internal: 13, Unavailable: 14 };

/** The `grpc` section: gRPC calls whose answer carries one of these statuses in its headers (trailers-only) are retried, whatever their method. */
function compileGrpc(a: Applied<MeshRetryConf>): Retry | undefined {
  const grpc = a.conf.grpc!;
  const numRetries = grpc.numRetries ?? 1;
  if (numRetries === 0) return undefined;
  const baseMs = grpc.backOff?.baseInterval ? durationToMs(grpc.backOff.baseInterval) : DEFAULT_BASE_INTERVAL_MS;
  const maxMs = grpc.backOff?.maxInterval ? durationToMs(grpc.backOff.maxInterval) : 10 * baseMs;
  return { policy: a.policy, numRetries, on: [], grpcStatuses: (grpc.retryOn ?? DEFAULT_GRPC_RETRY_ON).map((r) => GRPC_STATUS[r]), methods: undefined, baseMs, maxMs };
}

function compile(a: Applied<MeshRetryConf>): Retry | undefined {
  const http = a.conf.http;
  if (!http) return a.conf.grpc ? compileGrpc(a) : undefined;
  const on = new Set<RetryOn>();
  const methods: string[] = [];
  for (const cond of http.retryOn ?? ['5xx']) {
    if (cond === '5xx') ['5xx', 'reset', 'connect-failure'].forEach((c) => on.add(c as RetryOn));
    else if (cond === 'GatewayError') [502, 503, 504, 'reset', 'connect-failure'].forEach((c) => on.add(c as RetryOn));
    else if (cond === 'Reset') on.add('reset');
    else if (cond === 'ConnectFailure') on.add('connect-failure');
    else if (cond === 'Retriable4xx') on.add(RETRIABLE_4XX);
    else if (cond.startsWith('HttpMethod')) methods.push(cond.slice('HttpMethod'.length).toUpperCase());
    else if (/^\d{3}$/.test(cond)) on.add(Number(cond));
  }
  const numRetries = http.numRetries ?? 1;
  if (on.size === 0 || numRetries === 0) return undefined;
  const baseMs = http.backOff?.baseInterval ? durationToMs(http.backOff.baseInterval) : DEFAULT_BASE_INTERVAL_MS;
  const maxMs = http.backOff?.maxInterval ? durationToMs(http.backOff.maxInterval) : 10 * baseMs;
  return { policy: a.policy, numRetries, on: [...on], methods: methods.length ? methods : undefined, baseMs, maxMs };
}

/** Envoy's JitteredExponentialBackOffStrategy for retry `n` (1-based). */
export function backoffMs(n: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.min(Math.floor(random() * (2 ** n - 1) * baseMs), maxMs);
}

/** The engine reads `backoffMs` when it schedules each retry; by then `attempts` counts the tries made. */
function routeRetry(r: Retry, ctx: HttpExchangeContext): HttpRetryPolicy {
  return {
    policy: r.policy,
    numRetries: r.numRetries,
    on: r.on,
    ...(r.methods ? { methods: r.methods } : {}),
    ...(r.grpcStatuses ? { grpcStatuses: r.grpcStatuses } : {}),
    get backoffMs() {
      return backoffMs(ctx.http.attempts, r.baseMs, r.maxMs, () => ctx.random());
    },
  };
}

export function retryPass(source: ConfSource<Applied<MeshRetryConf>>): HttpPass | undefined {
  return policyHttpPass('MeshRetry', 'retry', source.map(compile), {
    onRequest(ctx, r) {
      ctx.route.retry = routeRetry(r, ctx);
    },
  });
}
