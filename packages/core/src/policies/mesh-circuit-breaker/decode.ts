import { duration, fields, int, list, reject } from '../../proxy/xds-config/reader.ts';

/**
 * A cluster's `circuit_breakers` and `outlier_detection` as meshcap dp enforces them, with Envoy's
 * defaults for what is not set. Priorities other than DEFAULT, retry budgets and per-host
 * thresholds are refused rather than dropped.
 */

/** Envoy's defaults when `circuit_breakers` is absent or a threshold is not set. */
export const DEFAULT_LIMITS: ConnectionLimits = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 };

export interface ConnectionLimits {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  /** Retries in flight at once, over the cluster. */
  maxRetries: number;
}

export interface OutlierDetectionConfig {
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
  /** Local-origin errors (connect failure, reset, timeout) are counted apart from the upstream's 5xx. */
  splitLocalOrigin: boolean;
  consecutive5xx: Detector;
  consecutiveGatewayFailure: Detector;
  consecutiveLocalOriginFailure: Detector;
  successRate: { enforcing: number; minimumHosts: number; requestVolume: number; stdevFactor: number };
  failurePercentage: { enforcing: number; minimumHosts: number; requestVolume: number; threshold: number };
}

/** A consecutive-failures detector: eject after `threshold` in a row, `enforcing` % of the time. */
export interface Detector {
  threshold: number;
  enforcing: number;
}

export function decodeCircuitBreakers(value: unknown, where: string): ConnectionLimits {
  const cb = fields(value, where, ['thresholds']);
  const thresholds = list(cb['thresholds'], `${where}.thresholds`);
  if (thresholds.length > 1) reject(`${where}.thresholds`, 'only one threshold (priority DEFAULT) is supported');
  if (thresholds.length === 0) return { ...DEFAULT_LIMITS };
  const at = `${where}.thresholds[0]`;
  const t = fields(thresholds[0], at, ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'max_connection_pools']);
  if (t['priority'] !== undefined && t['priority'] !== 'DEFAULT') reject(`${at}.priority`, 'only DEFAULT is supported (meshcap dp has no route priorities)');
  const limit = (key: string, fallback: number): number => {
    if (t[key] === undefined) return fallback;
    const n = int(t[key], `${at}.${key}`);
    if (n < 0) reject(`${at}.${key}`, 'must be 0 or more');
    return n;
  };
  // max_connection_pools: meshcap dp keeps one pool per endpoint and source, bounded by max_connections.
  if (t['max_connection_pools'] !== undefined) limit('max_connection_pools', 0);
  return {
    maxConnections: limit('max_connections', DEFAULT_LIMITS.maxConnections),
    maxPendingRequests: limit('max_pending_requests', DEFAULT_LIMITS.maxPendingRequests),
    maxRequests: limit('max_requests', DEFAULT_LIMITS.maxRequests),
    maxRetries: limit('max_retries', DEFAULT_LIMITS.maxRetries),
  };
}

const OUTLIER_FIELDS = [
  'consecutive_5xx', 'interval', 'base_ejection_time', 'max_ejection_time', 'max_ejection_percent', 'enforcing_consecutive_5xx',
  'enforcing_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor',
  'consecutive_gateway_failure', 'enforcing_consecutive_gateway_failure', 'split_external_local_origin_errors',
  'consecutive_local_origin_failure', 'enforcing_consecutive_local_origin_failure', 'enforcing_local_origin_success_rate',
  'failure_percentage_threshold', 'enforcing_failure_percentage', 'enforcing_failure_percentage_local_origin',
  'failure_percentage_minimum_hosts', 'failure_percentage_request_volume',
] as const;

export function decodeOutlierDetection(value: unknown, where: string): OutlierDetectionConfig {
  const o = fields(value, where, OUTLIER_FIELDS);
  const num = (key: (typeof OUTLIER_FIELDS)[number], fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (o[key] === undefined) return fallback;
    const n = int(o[key], `${where}.${key}`);
    if (n < 0 || n > max) reject(`${where}.${key}`, `must be 0..${max}`);
    return n;
  };
  const ms = (key: (typeof OUTLIER_FIELDS)[number], fallback: number): number => (o[key] === undefined ? fallback : duration(o[key], `${where}.${key}`).ms);
  const split = o['split_external_local_origin_errors'] === true;
  // Success rate over local-origin errors alone is a second detector meshcap dp does not run.
  if (split && num('enforcing_local_origin_success_rate', 100, 100) > 0) reject(`${where}.enforcing_local_origin_success_rate`, 'must be 0: meshcap dp does not compute a separate local-origin success rate');
  if (split && num('enforcing_failure_percentage_local_origin', 0, 100) > 0) reject(`${where}.enforcing_failure_percentage_local_origin`, 'must be 0: meshcap dp does not compute a separate local-origin failure percentage');
  const intervalMs = ms('interval', 10_000);
  if (intervalMs <= 0) reject(`${where}.interval`, 'must be more than 0s');
  return {
    intervalMs,
    baseEjectionMs: ms('base_ejection_time', 30_000),
    maxEjectionMs: ms('max_ejection_time', 300_000),
    maxEjectionPercent: num('max_ejection_percent', 10, 100),
    splitLocalOrigin: split,
    consecutive5xx: { threshold: num('consecutive_5xx', 5), enforcing: num('enforcing_consecutive_5xx', 100, 100) },
    consecutiveGatewayFailure: { threshold: num('consecutive_gateway_failure', 5), enforcing: num('enforcing_consecutive_gateway_failure', 0, 100) },
    consecutiveLocalOriginFailure: { threshold: num('consecutive_local_origin_failure', 5), enforcing: split ? num('enforcing_consecutive_local_origin_failure', 100, 100) : 0 },
    successRate: {
      enforcing: num('enforcing_success_rate', 100, 100),
      minimumHosts: num('success_rate_minimum_hosts', 5),
      requestVolume: num('success_rate_request_volume', 100),
      stdevFactor: num('success_rate_stdev_factor', 1900) / 1000,
    },
    failurePercentage: {
      enforcing: num('enforcing_failure_percentage', 0, 100),
      minimumHosts: num('failure_percentage_minimum_hosts', 5),
      requestVolume: num('failure_percentage_request_volume', 50),
      threshold: num('failure_percentage_threshold', 85, 100),
    },
  };
}
