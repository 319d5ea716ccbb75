import { bool, duration, fields, int, list, optStr, reject, str } from '../../proxy/xds-config/reader.ts';
import type { HealthCheckConfig } from './checker.ts';

/**
 * A cluster's `health_checks` as meshcap dp's active checker runs them: one HTTP/1.1 or TCP check,
 * Envoy's defaults where Envoy has them. gRPC and custom checks, HTTP/2 checks, retriable statuses,
 * edge intervals and event logs are refused rather than dropped.
 */

const CHECK_FIELDS = [
  'timeout', 'interval', 'interval_jitter', 'interval_jitter_percent', 'initial_jitter', 'unhealthy_threshold', 'healthy_threshold',
  'reuse_connection', 'no_traffic_interval', 'unhealthy_interval', 'always_log_health_check_failures', 'http_health_check', 'tcp_health_check',
] as const;

/** Envoy's Payload: `text` is hex, `binary` is bytes (base64 in proto JSON). */
function payload(value: unknown, where: string): Buffer {
  const p = fields(value, where, ['text', 'binary']);
  if (p['text'] !== undefined) {
    const hex = str(p['text'], `${where}.text`);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) reject(`${where}.text`, 'must be hex digits, two per byte');
    return Buffer.from(hex, 'hex');
  }
  const b64 = str(p['binary'], `${where}.binary`);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) reject(`${where}.binary`, 'must be base64');
  return Buffer.from(b64, 'base64');
}

/** Int64Range `[start, end)` of expected statuses (int64 arrives as a string). */
function statusRanges(value: unknown, where: string): [number, number][] {
  return list(value, where).map((r, i) => {
    const at = `${where}[${i}]`;
    const o = fields(r, at, ['start', 'end']);
    const start = int(o['start'] ?? 0, `${at}.start`);
    const end = int(o['end'] ?? 0, `${at}.end`);
    if (start < 100 || end > 600 || end <= start) reject(at, `[${start}, ${end}) is not a range of HTTP statuses within [100, 600)`);
    return [start, end];
  });
}

function headersToAdd(value: unknown, where: string): [string, string][] {
  return list(value, where).map((h, i) => {
    const at = `${where}[${i}]`;
    const o = fields(h, at, ['header', 'append_action', 'keep_empty_value']);
    const hv = fields(o['header'], `${at}.header`, ['key', 'value']);
    return [str(hv['key'], `${at}.header.key`), optStr(hv['value'], `${at}.header.value`) ?? ''];
  });
}

export function decodeHealthChecks(value: unknown, where: string, clusterName: string): HealthCheckConfig | undefined {
  const checks = list(value, where);
  if (checks.length === 0) return undefined;
  if (checks.length > 1) reject(where, 'only one health check per cluster is supported');
  const at = `${where}[0]`;
  const c = fields(checks[0], at, CHECK_FIELDS);
  const ms = (key: (typeof CHECK_FIELDS)[number]): number | undefined => (c[key] === undefined ? undefined : duration(c[key], `${at}.${key}`).ms);
  const timeoutMs = ms('timeout');
  const intervalMs = ms('interval');
  if (timeoutMs === undefined || timeoutMs <= 0) reject(`${at}.timeout`, 'is required and must be more than 0s (as in Envoy)');
  if (intervalMs === undefined || intervalMs <= 0) reject(`${at}.interval`, 'is required and must be more than 0s (as in Envoy)');
  const threshold = (key: 'unhealthy_threshold' | 'healthy_threshold'): number => {
    const n = c[key] === undefined ? undefined : int(c[key], `${at}.${key}`);
    if (n === undefined || n < 1) reject(`${at}.${key}`, 'is required and must be 1 or more (as in Envoy)');
    return n;
  };
  const jitterPercent = c['interval_jitter_percent'] === undefined ? 0 : int(c['interval_jitter_percent'], `${at}.interval_jitter_percent`);
  if (c['reuse_connection'] !== undefined) bool(c['reuse_connection'], `${at}.reuse_connection`);
  const base = {
    timeoutMs,
    intervalMs,
    intervalJitterMs: ms('interval_jitter') ?? 0,
    intervalJitterPercent: jitterPercent,
    initialJitterMs: ms('initial_jitter') ?? 0,
    noTrafficIntervalMs: ms('no_traffic_interval') ?? 60_000,
    unhealthyIntervalMs: ms('unhealthy_interval') ?? intervalMs,
    unhealthyThreshold: threshold('unhealthy_threshold'),
    healthyThreshold: threshold('healthy_threshold'),
    logFailures: c['always_log_health_check_failures'] === undefined ? false : bool(c['always_log_health_check_failures'], `${at}.always_log_health_check_failures`),
  };
  if ((c['http_health_check'] === undefined) === (c['tcp_health_check'] === undefined)) reject(at, 'needs exactly one of http_health_check and tcp_health_check (meshcap dp runs no gRPC or custom checks)');
  if (c['http_health_check'] !== undefined) {
    const hat = `${at}.http_health_check`;
    const h = fields(c['http_health_check'], hat, ['host', 'path', 'request_headers_to_add', 'request_headers_to_remove', 'expected_statuses', 'method', 'codec_client_type']);
    const codec = optStr(h['codec_client_type'], `${hat}.codec_client_type`) ?? 'HTTP1';
    if (codec !== 'HTTP1') reject(`${hat}.codec_client_type`, `"${codec}" is not supported (meshcap dp checks over HTTP/1.1)`);
    const path = str(h['path'], `${hat}.path`);
    if (!path.startsWith('/') || /[\s\0]/.test(path)) reject(`${hat}.path`, `"${path}" is not an absolute request path`);
    const method = optStr(h['method'], `${hat}.method`) ?? 'GET';
    if (!/^[A-Z]+$/.test(method) || method === 'CONNECT') reject(`${hat}.method`, `"${method}" is not a method a health check can send`);
    const expected = statusRanges(h['expected_statuses'], `${hat}.expected_statuses`);
    return {
      ...base,
      http: {
        host: optStr(h['host'], `${hat}.host`) ?? clusterName,
        path,
        method,
        headers: headersToAdd(h['request_headers_to_add'], `${hat}.request_headers_to_add`),
        removeHeaders: list(h['request_headers_to_remove'], `${hat}.request_headers_to_remove`).map((n, i) => str(n, `${hat}.request_headers_to_remove[${i}]`).toLowerCase()),
        // Envoy expects 200 only unless told otherwise.
        expectedStatuses: expected.length ? expected : [[200, 201]],
      },
    };
  }
  const tat = `${at}.tcp_health_check`;
  const t = fields(c['tcp_health_check'], tat, ['send', 'receive']);
  return {
    ...base,
    tcp: {
      send: t['send'] === undefined ? undefined : payload(t['send'], `${tat}.send`),
      receive: list(t['receive'], `${tat}.receive`).map((p, i) => payload(p, `${tat}.receive[${i}]`)),
    },
  };
}
