import {
  type MeshCircuitBreakerConf,
  type MeshHealthCheckConf,
} from '../model/index.ts';
import {
  compact,
  duration,
  headerValueOptions,
  type EnvoyMessage,
} from './envoy-json.ts';

/**
 * Policy confs (Kuma's `default` shapes) rendered as the Envoy config Kuma generates for them:
 * HTTP/network filters, route retry and timeout settings, cluster limits and checks.
 */

const opt = <T, R>(v: T | undefined, f: (v: T) => R): R | undefined => (v === undefined ? undefined : f(v));

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
