import {
  ACCESS_LOG_DEFAULT_HTTP_FORMAT,
  ACCESS_LOG_DEFAULT_TCP_FORMAT,
  type AccessLogFormat,
  type GrpcRetryOn,
  type HeaderMatch,
  type MeshAccessLogConf,
  type MeshCircuitBreakerConf,
  type MeshHealthCheckConf,
  type MeshRetryConf,
  type MeshTimeoutConf,
} from '../model/index.ts';
import {
  compact,
  duration,
  ENVOY_FILTERS,
  ENVOY_TYPES,
  headerValueOptions,
  typedExtension,
  type EnvoyMessage,
} from './envoy-json.ts';

/**
 * Policy confs (Kuma's `default` shapes) rendered as the Envoy config Kuma generates for them:
 * HTTP/network filters, route retry and timeout settings, cluster limits and checks.
 */

const opt = <T, R>(v: T | undefined, f: (v: T) => R): R | undefined => (v === undefined ? undefined : f(v));

// ---- MeshRetry → route retry_policy, tcp_proxy max_connect_attempts ----

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

function headerMatcher(m: HeaderMatch): EnvoyMessage {
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
    ? compact({ base_interval: duration(backOff.baseInterval ?? '25ms'), max_interval: opt(backOff.maxInterval, duration) })
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
    per_try_timeout: opt(http.perTryTimeout, duration),
    retriable_status_codes: codes.length > 0 ? codes : undefined,
    retry_back_off: retryBackOff(backOff),
    retriable_headers: http.retriableResponseHeaders?.length ? http.retriableResponseHeaders.map(headerMatcher) : undefined,
    retriable_request_headers: requestHeaders.length > 0 ? requestHeaders : undefined,
    rate_limited_retry_back_off: limited?.resetHeaders?.length
      ? compact({
          // SECONDS is the zero value.
          reset_headers: limited.resetHeaders.map((h) => compact({ name: h.name, format: h.format === 'UnixTimestamp' ? 'UNIX_TIMESTAMP' : undefined })),
          max_interval: opt(limited.maxInterval, duration),
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

// ---- MeshTimeout ----

/** HttpProtocolOptions (core): connection-level HTTP timeouts. */
export function commonHttpProtocolOptions(conf: MeshTimeoutConf | undefined): EnvoyMessage | undefined {
  if (!conf) return undefined;
  const o = compact({
    idle_timeout: opt(conf.idleTimeout, duration),
    max_connection_duration: opt(conf.http?.maxConnectionDuration, duration),
    max_stream_duration: opt(conf.http?.maxStreamDuration, duration),
  });
  return Object.keys(o).length > 0 ? o : undefined;
}

// ---- MeshAccessLog ----

export interface AccessLogContext {
  mesh: string;
  direction: 'inbound' | 'outbound';
  /** The dataplane's own service (first inbound). */
  localService?: string;
  /** The service on the other side (outbound), or the inbound's own. */
  destinationService?: string;
  protocol: 'tcp' | 'http';
}

/** Kuma fills its own placeholders in when it generates Envoy config; Envoy would refuse them. */
function substituteKumaOperators(text: string, ctx: AccessLogContext): string {
  const values: Record<string, string> = {
    KUMA_MESH: ctx.mesh,
    KUMA_SOURCE_ADDRESS: '%DOWNSTREAM_REMOTE_ADDRESS%',
    KUMA_SOURCE_ADDRESS_WITHOUT_PORT: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
    KUMA_SOURCE_SERVICE: ctx.direction === 'outbound' ? (ctx.localService ?? 'unknown') : 'unknown',
    KUMA_DESTINATION_SERVICE: ctx.destinationService ?? 'unknown',
    KUMA_TRAFFIC_DIRECTION: ctx.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
  };
  return text.replace(/%(KUMA_[A-Z_]+)%/g, (whole, name: string) => values[name] ?? whole);
}

function logFormat(format: AccessLogFormat | undefined, ctx: AccessLogContext): EnvoyMessage {
  if (format?.type === 'Json') {
    const json: Record<string, string> = {};
    for (const { key, value } of format.json) json[key] = substituteKumaOperators(value, ctx);
    return compact({ json_format: json, omit_empty_values: format.omitEmptyValues || undefined });
  }
  const plain = format?.plain ?? (ctx.protocol === 'http' ? ACCESS_LOG_DEFAULT_HTTP_FORMAT : ACCESS_LOG_DEFAULT_TCP_FORMAT);
  return compact({
    omit_empty_values: format?.omitEmptyValues || undefined,
    text_format_source: { inline_string: `${substituteKumaOperators(plain, ctx)}\n` },
  });
}

/** File backends (including /dev/stdout). TCP and OpenTelemetry backends have no Envoy config here and are left out. */
export function accessLogs(conf: MeshAccessLogConf | undefined, ctx: AccessLogContext): EnvoyMessage[] | undefined {
  const out: EnvoyMessage[] = [];
  for (const b of conf?.backends ?? []) {
    if (b.type !== 'File') continue;
    out.push(typedExtension(ENVOY_FILTERS.fileAccessLog, ENVOY_TYPES.fileAccessLog, { path: b.file.path, log_format: logFormat(b.file.format, ctx) }));
  }
  return out.length > 0 ? out : undefined;
}

// ---- MeshCircuitBreaker, MeshHealthCheck → cluster fields ----

export function circuitBreakers(conf: MeshCircuitBreakerConf | undefined): EnvoyMessage | undefined {
  const l = conf?.connectionLimits;
  if (!l) return undefined;
  const t = compact({
    max_connections: l.maxConnections,
    max_pending_requests: l.maxPendingRequests,
    max_requests: l.maxRequests,
    max_retries: l.maxRetries,
    max_connection_pools: l.maxConnectionPools,
  });
  return Object.keys(t).length > 0 ? { thresholds: [t] } : undefined;
}

/** Detectors the policy configures are enforced at 100%; the others are switched off (Envoy enables some by default). */
export function outlierDetection(conf: MeshCircuitBreakerConf | undefined): EnvoyMessage | undefined {
  const o = conf?.outlierDetection;
  if (!o || o.disabled) return undefined;
  const d = o.detectors ?? {};
  const on = (set: unknown): number => (set ? 100 : 0);
  return compact({
    consecutive_5xx: d.totalFailures?.consecutive,
    interval: opt(o.interval, duration),
    base_ejection_time: opt(o.baseEjectionTime, duration),
    max_ejection_percent: o.maxEjectionPercent,
    enforcing_consecutive_5xx: on(d.totalFailures),
    enforcing_success_rate: on(d.successRate),
    success_rate_minimum_hosts: d.successRate?.minimumHosts,
    success_rate_request_volume: d.successRate?.requestVolume,
    success_rate_stdev_factor: opt(d.successRate?.standardDeviationFactor, (f) => Math.round(f * 1000)),
    consecutive_gateway_failure: d.gatewayFailures?.consecutive,
    enforcing_consecutive_gateway_failure: on(d.gatewayFailures),
    split_external_local_origin_errors: o.splitExternalAndLocalErrors || undefined,
    consecutive_local_origin_failure: d.localOriginFailures?.consecutive,
    enforcing_consecutive_local_origin_failure: on(d.localOriginFailures),
    enforcing_local_origin_success_rate: 0,
    failure_percentage_threshold: d.failurePercentage?.threshold,
    enforcing_failure_percentage: on(d.failurePercentage),
    failure_percentage_minimum_hosts: d.failurePercentage?.minimumHosts,
    failure_percentage_request_volume: d.failurePercentage?.requestVolume,
  });
}

/** Kuma's defaults for the four values Envoy requires. */
const HEALTH_CHECK_DEFAULTS = { interval: '1m', timeout: '15s', unhealthyThreshold: 5, healthyThreshold: 1 };

export function healthChecks(conf: MeshHealthCheckConf | undefined, protocol: 'tcp' | 'http'): EnvoyMessage[] | undefined {
  if (!conf) return undefined;
  let check: EnvoyMessage | undefined;
  if (protocol === 'http' && !conf.http?.disabled) {
    const statuses = conf.http?.expectedStatuses;
    check = {
      http_health_check: compact({
        path: conf.http?.path ?? '/',
        request_headers_to_add: headerValueOptions(conf.http?.requestHeadersToAdd),
        // Int64Range is [start, end); int64 prints as a string.
        expected_statuses: statuses?.length ? statuses.map((s) => ({ start: String(s), end: String(s + 1) })) : undefined,
      }),
    };
  } else if (!conf.tcp?.disabled) {
    check = {
      tcp_health_check: compact({
        send: opt(conf.tcp?.send, (b) => ({ binary: b })),
        receive: conf.tcp?.receive?.length ? conf.tcp.receive.map((b) => ({ binary: b })) : undefined,
      }),
    };
  }
  if (!check) return undefined;
  return [
    compact({
      timeout: duration(conf.timeout ?? HEALTH_CHECK_DEFAULTS.timeout),
      interval: duration(conf.interval ?? HEALTH_CHECK_DEFAULTS.interval),
      interval_jitter: opt(conf.intervalJitter, duration),
      unhealthy_threshold: conf.unhealthyThreshold ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
      healthy_threshold: conf.healthyThreshold ?? HEALTH_CHECK_DEFAULTS.healthyThreshold,
      reuse_connection: conf.reuseConnection,
      ...check,
      no_traffic_interval: opt(conf.noTrafficInterval, duration),
      unhealthy_interval: opt(conf.unhealthyInterval, duration),
      interval_jitter_percent: conf.intervalJitterPercent || undefined,
      always_log_health_check_failures: conf.alwaysLogHealthCheckFailures || undefined,
      initial_jitter: opt(conf.initialJitter, duration),
    }),
  ];
}
