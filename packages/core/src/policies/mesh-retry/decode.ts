import { duration, fields, int, list, optStr, reject, str } from '../../proxy/xds-config/reader.ts';
import type { GrpcRetryOn, HttpRetryOn, MeshRetryConf } from './schema.ts';

/**
 * A route's `retry_policy` back into the MeshRetry conf the retry pass runs. A request with a body
 * is never retried (the proxy streams bodies, it does not keep them), where Envoy would buffer it. What the pass does not
 * do (per-try timeouts, retriable response headers, rate-limited backoff, request headers other
 * than `:method`, conditions with no HTTP/1.1 meaning) is refused rather than dropped.
 */

/** Envoy's retry_on conditions and the Kuma names the retry pass reads (it maps them back as Envoy does). */
const CONDITIONS: Record<string, HttpRetryOn> = {
  '5xx': '5xx',
  'gateway-error': 'GatewayError',
  reset: 'Reset',
  'connect-failure': 'ConnectFailure',
  'retriable-4xx': 'Retriable4xx',
};

/** Envoy's gRPC retry_on conditions (the grpc-status of a trailers-only answer) and Kuma's `grpc.retryOn` names. */
const GRPC_CONDITIONS: Record<string, GrpcRetryOn> = {
  cancelled: 'Canceled',
  'deadline-exceeded': 'DeadlineExceeded',
  internal: 'Internal',
  'resource-exhausted': 'ResourceExhausted',
  unavailable: 'Unavailable',
};

const METHOD_NAMES: Record<string, HttpRetryOn> = {
  CONNECT: 'HttpMethodConnect',
  DELETE: 'HttpMethodDelete',
  GET: 'HttpMethodGet',
  HEAD: 'HttpMethodHead',
  OPTIONS: 'HttpMethodOptions',
  PATCH: 'HttpMethodPatch',
  POST: 'HttpMethodPost',
  PUT: 'HttpMethodPut',
  TRACE: 'HttpMethodTrace',
};

/** `retriable_request_headers`: only `:method` exact matches (which methods may be retried). */
function methods(value: unknown, where: string): HttpRetryOn[] {
  return list(value, where).map((h, i) => {
    const at = `${where}[${i}]`;
    const m = fields(h, at, ['name', 'string_match']);
    if (str(m['name'], `${at}.name`) !== ':method') reject(`${at}.name`, 'only :method is supported (which methods are retried)');
    const exact = fields(m['string_match'], `${at}.string_match`, ['exact'])['exact'];
    const method = str(exact, `${at}.string_match.exact`);
    const name = METHOD_NAMES[method];
    if (!name) reject(`${at}.string_match.exact`, `"${method}" is not an HTTP method meshcap dp retries`);
    return name;
  });
}

export function decodeRetryPolicy(value: unknown, where: string): MeshRetryConf {
  const p = fields(value, where, ['retry_on', 'num_retries', 'retriable_status_codes', 'retry_back_off', 'retriable_request_headers']);
  const retryOn: HttpRetryOn[] = [];
  const conditions = (optStr(p['retry_on'], `${where}.retry_on`) ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  const codes = list(p['retriable_status_codes'], `${where}.retriable_status_codes`).map((c, i) => int(c, `${where}.retriable_status_codes[${i}]`));
  const grpc = conditions.filter((c) => GRPC_CONDITIONS[c] !== undefined);
  if (grpc.length > 0) {
    // Kuma renders a gRPC service's MeshRetry `grpc` section alone: gRPC conditions, retries and backoff.
    if (grpc.length !== conditions.length) reject(`${where}.retry_on`, 'gRPC conditions (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) cannot be mixed with HTTP ones in meshcap dp');
    if (codes.length > 0 || p['retriable_request_headers'] !== undefined) reject(where, 'a gRPC retry policy takes only retry_on, num_retries and retry_back_off in meshcap dp');
    return { grpc: { retryOn: grpc.map((c) => GRPC_CONDITIONS[c]!), ...retriesAndBackOff(p, where) } };
  }
  for (const c of conditions) {
    if (c === 'retriable-status-codes') {
      retryOn.push(...codes.map((n) => String(n) as HttpRetryOn));
      continue;
    }
    const kuma = CONDITIONS[c];
    if (!kuma) reject(`${where}.retry_on`, `"${c}" is not supported (${[...Object.keys(CONDITIONS), 'retriable-status-codes'].join(', ')})`);
    retryOn.push(kuma);
  }
  if (codes.length > 0 && !conditions.includes('retriable-status-codes')) reject(`${where}.retriable_status_codes`, 'set without retriable-status-codes in retry_on, so Envoy would not use it');
  // Without retriable_request_headers Envoy retries every method; the pass would take that as "the idempotent ones", so all are named.
  const named = methods(p['retriable_request_headers'], `${where}.retriable_request_headers`);
  retryOn.push(...(named.length > 0 ? named : Object.values(METHOD_NAMES)));
  return { http: { retryOn, ...retriesAndBackOff(p, where) } };
}

/** `num_retries` and `retry_back_off`, as both sections name them. Envoy's default is 1 retry, as the retry pass's. */
function retriesAndBackOff(p: Record<string, unknown>, where: string): { numRetries?: number; backOff?: { baseInterval: string; maxInterval?: string } } {
  const out: { numRetries?: number; backOff?: { baseInterval: string; maxInterval?: string } } = {};
  if (p['num_retries'] !== undefined) out.numRetries = int(p['num_retries'], `${where}.num_retries`);
  if (p['retry_back_off'] !== undefined) {
    const b = fields(p['retry_back_off'], `${where}.retry_back_off`, ['base_interval', 'max_interval']);
    out.backOff = {
      baseInterval: duration(b['base_interval'], `${where}.retry_back_off.base_interval`).text,
      ...(b['max_interval'] !== undefined ? { maxInterval: duration(b['max_interval'], `${where}.retry_back_off.max_interval`).text } : {}),
    };
  }
  return out;
}
