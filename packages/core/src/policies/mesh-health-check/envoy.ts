import { compact, duration, headerValueOptions, ifSet, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { MeshHealthCheckConf } from './schema.ts';

// MeshHealthCheck → cluster health_checks (HTTP or TCP), as Kuma generates them.

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
        send: ifSet(conf.tcp?.send, (b) => ({ binary: b })),
        receive: conf.tcp?.receive?.length ? conf.tcp.receive.map((b) => ({ binary: b })) : undefined,
      }),
    };
  }
  if (!check) return undefined;
  return [
    compact({
      timeout: duration(conf.timeout ?? HEALTH_CHECK_DEFAULTS.timeout),
      interval: duration(conf.interval ?? HEALTH_CHECK_DEFAULTS.interval),
      interval_jitter: ifSet(conf.intervalJitter, duration),
      unhealthy_threshold: conf.unhealthyThreshold ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
      healthy_threshold: conf.healthyThreshold ?? HEALTH_CHECK_DEFAULTS.healthyThreshold,
      reuse_connection: conf.reuseConnection,
      ...check,
      no_traffic_interval: ifSet(conf.noTrafficInterval, duration),
      unhealthy_interval: ifSet(conf.unhealthyInterval, duration),
      interval_jitter_percent: conf.intervalJitterPercent || undefined,
      always_log_health_check_failures: conf.alwaysLogHealthCheckFailures || undefined,
      initial_jitter: ifSet(conf.initialJitter, duration),
    }),
  ];
}
