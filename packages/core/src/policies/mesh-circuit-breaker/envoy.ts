import { compact, duration, ifSet, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { MeshCircuitBreakerConf } from './schema.ts';

// MeshCircuitBreaker → cluster circuit_breakers and outlier_detection, as Kuma generates them.

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
    interval: ifSet(o.interval, duration),
    base_ejection_time: ifSet(o.baseEjectionTime, duration),
    max_ejection_percent: o.maxEjectionPercent,
    enforcing_consecutive_5xx: on(d.totalFailures),
    enforcing_success_rate: on(d.successRate),
    success_rate_minimum_hosts: d.successRate?.minimumHosts,
    success_rate_request_volume: d.successRate?.requestVolume,
    success_rate_stdev_factor: ifSet(d.successRate?.standardDeviationFactor, (f) => Math.round(f * 1000)),
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
