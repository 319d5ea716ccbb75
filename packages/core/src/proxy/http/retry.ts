import type { HttpRoute } from '../chain.ts';
import type { ClusterRuntime } from '../context.ts';
import type { ExchangeState } from './exchange-state.ts';
import type { RequestHead } from './head.ts';

/** Safe or idempotent methods (RFC 9110 §9.2): what a retry policy repeats unless it names others, and the only ones re-sent after a stale pooled connection. */
export const DEFAULT_RETRY_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

export type RetryOn = '5xx' | 'reset' | 'connect-failure' | number;

/**
 * Whether the route's retry policy allows another attempt after `kind` (and the cluster's
 * max_retries does: the exchange is then counted among the cluster's retries in flight).
 */
export function retryAllowed(route: HttpRoute, attempts: number, request: RequestHead, kind: RetryOn, cluster: ClusterRuntime, state: ExchangeState): boolean {
  const p = route.retry;
  const allowed = p !== undefined && attempts <= p.numRetries && p.on.includes(kind) && !request.hasBody && (p.methods ?? DEFAULT_RETRY_METHODS).includes(request.method);
  if (!allowed || state.countedRetry) return allowed;
  if (!cluster.state.limits.startRetry()) {
    cluster.counters.upstream_rq_retry_overflow++;
    return false;
  }
  state.countedRetry = true;
  return true;
}

/**
 * The upstream went away before answering: may the request go again unasked, once, on a fresh
 * connection (a pooled connection the upstream had already closed)? Only an idempotent request
 * without a body that got no byte back (RFC 9110 §9.2.2): the upstream may have acted on a POST.
 */
export function staleRetriable(request: RequestHead, state: ExchangeState): boolean {
  return !request.hasBody && !state.responseSeen && DEFAULT_RETRY_METHODS.includes(request.method);
}
