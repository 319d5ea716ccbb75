import { compact, duration, ifSet, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { HeaderMatch } from '../../model/policies/common.ts';
import type { GrpcRetryOn, MeshRetryConf } from './schema.ts';

// MeshRetry → route retry_policy (HTTP and, for proxyless gRPC clients, gRPC), as Kuma generates it.

const RETRY_ON: Record<string, string> = {
  '5xx': '5xx',
  GatewayError: 'gateway-error',
  Reset: 'reset',
  Retriable4xx: 'retriable-4xx',
  ConnectFailure: 'connect-failure',
  EnvoyRatelimited: 'envoy-ratelimited',
  RefusedStream: 'refused-stream',
  Http3PostConnectFailure: 'http3-post-connect-failure',
};

/**
 * When `retryOn` is not set: retry on 5xx, reset and connect failure. Without an `HttpMethod*`
 * entry only safe and idempotent methods are retried (as the proxy's retry pass does).
 */
export const DEFAULT_RETRY_ON = ['5xx', 'Reset', 'ConnectFailure'] as const;
export const DEFAULT_RETRY_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'] as const;

/** Kuma's HeaderMatch as Envoy's HeaderMatcher (MeshRetry's retriable headers, MeshHTTPRoute's matches). */
export function headerMatcher(m: HeaderMatch): EnvoyMessage {
  switch (m.type ?? 'Exact') {
    case 'Present':
      return { name: m.name, present_match: true };
    case 'Absent':
      return { name: m.name, present_match: true, invert_match: true };
    case 'Prefix':
      return { name: m.name, string_match: { prefix: m.value ?? '' } };
    case 'RegularExpression':
      return { name: m.name, string_match: { safe_regex: { regex: m.value ?? '' } } };
    default:
      return { name: m.name, string_match: { exact: m.value ?? '' } };
  }
}

type RetryBackOff = NonNullable<NonNullable<MeshRetryConf['http']>['backOff']>;

/** Kuma's default base interval is 25ms, as Envoy's. */
function retryBackOff(backOff: RetryBackOff | undefined): EnvoyMessage | undefined {
  return backOff?.baseInterval || backOff?.maxInterval
    ? compact({ base_interval: duration(backOff.baseInterval ?? '25ms'), max_interval: ifSet(backOff.maxInterval, duration) })
    : undefined;
}

export function retryPolicy(conf: MeshRetryConf): EnvoyMessage | undefined {
  const http = conf.http;
  if (!http) return undefined;
  const retryOn: string[] = [...(http.retryOn ?? DEFAULT_RETRY_ON)];
  const conditions = new Set<string>();
  const codes: number[] = [];
  const methods: string[] = [];
  for (const r of retryOn) {
    if (/^\d{3}$/.test(r)) {
      conditions.add('retriable-status-codes');
      codes.push(Number(r));
    } else if (r.startsWith('HttpMethod')) {
      methods.push(r.slice('HttpMethod'.length).toUpperCase());
    } else if (RETRY_ON[r]) {
      conditions.add(RETRY_ON[r]);
    }
  }
  const requestMethods = methods.length > 0 ? methods : [...DEFAULT_RETRY_METHODS];
  const requestHeaders = [
    ...requestMethods.map((m) => ({ name: ':method', string_match: { exact: m } })),
    ...(http.retriableRequestHeaders ?? []).map(headerMatcher),
  ];
  const backOff = http.backOff;
  const limited = http.rateLimitedBackOff;
  return compact({
    retry_on: conditions.size > 0 ? [...conditions].join(',') : undefined,
    num_retries: http.numRetries,
    per_try_timeout: ifSet(http.perTryTimeout, duration),
    retriable_status_codes: codes.length > 0 ? codes : undefined,
    retry_back_off: retryBackOff(backOff),
    retriable_headers: http.retriableResponseHeaders?.length ? http.retriableResponseHeaders.map(headerMatcher) : undefined,
    retriable_request_headers: requestHeaders.length > 0 ? requestHeaders : undefined,
    rate_limited_retry_back_off: limited?.resetHeaders?.length
      ? compact({
          // SECONDS is the zero value.
          reset_headers: limited.resetHeaders.map((h) => compact({ name: h.name, format: h.format === 'UnixTimestamp' ? 'UNIX_TIMESTAMP' : undefined })),
          max_interval: ifSet(limited.maxInterval, duration),
        })
      : undefined,
  });
}

/** Kuma's gRPC condition names → Envoy's `retry_on` names for gRPC status codes. */
const ENVOY_GRPC_RETRY_ON: Record<GrpcRetryOn, string> = {
  Canceled: 'cancelled',
  DeadlineExceeded: 'deadline-exceeded',
  Internal: 'internal',
  ResourceExhausted: 'resource-exhausted',
  Unavailable: 'unavailable',
};

/** When the `grpc` section sets no `retryOn`: UNAVAILABLE only, the one status gRPC defines as safe to retry. */
export const DEFAULT_GRPC_RETRY_ON = ['Unavailable'] as const;

/**
 * The `grpc` section as a route retry_policy, as a proxyless gRPC client reads it (gRFC A44): the
 * gRPC status conditions in `retry_on` (Envoy's router reads the same names), `num_retries`,
 * `retry_back_off`. gRPC has no per-attempt timeout, so `perTryTimeout` is not rendered.
 */
export function grpcRetryPolicy(conf: MeshRetryConf): EnvoyMessage | undefined {
  const grpc = conf.grpc;
  if (!grpc) return undefined;
  const backOff = grpc.backOff;
  return compact({
    retry_on: (grpc.retryOn ?? DEFAULT_GRPC_RETRY_ON).map((r) => ENVOY_GRPC_RETRY_ON[r]).join(','),
    num_retries: grpc.numRetries,
    retry_back_off: retryBackOff(backOff),
  });
}
