import { ENVOY_TYPES, httpStatusCode } from '../../xds/envoy-json.ts';
import { duration, fields, fractionalPercent, int, list, optStr, reject, str, typed, type Json } from '../../proxy/xds-config/reader.ts';
import type { MeshRateLimitConf } from './schema.ts';

/**
 * `local_ratelimit` (HTTP and network) back into the MeshRateLimit conf the rate-limit passes run.
 * The proxy's bucket holds `num` tokens and refills all of them every interval, so a bucket whose
 * `max_tokens` and `tokens_per_fill` differ is refused.
 */

type Rate = { num: number; interval: string };
type HttpLimit = NonNullable<NonNullable<MeshRateLimitConf['local']>['http']>;
type Headers = NonNullable<NonNullable<HttpLimit['onRateLimit']>['headers']>;

function tokenBucket(value: unknown, where: string): Rate {
  const b = fields(value, where, ['max_tokens', 'tokens_per_fill', 'fill_interval']);
  const num = int(b['max_tokens'], `${where}.max_tokens`);
  const perFill = b['tokens_per_fill'] === undefined ? 1 : int(b['tokens_per_fill'], `${where}.tokens_per_fill`);
  if (perFill !== num) reject(`${where}.tokens_per_fill`, `must equal max_tokens (${num}): meshcap dp refills the whole bucket each fill_interval`);
  return { num, interval: duration(b['fill_interval'], `${where}.fill_interval`).text };
}

/** A RuntimeFractionalPercent at 0 % (off) or 100 % (on); anything between is refused. */
function onOrOff(value: unknown, where: string): boolean {
  if (value === undefined) return false; // Envoy's default: 0 %
  const r = fields(value, where, ['default_value', 'runtime_key']);
  optStr(r['runtime_key'], `${where}.runtime_key`);
  const pct = fractionalPercent(r['default_value'], `${where}.default_value`);
  if (pct !== 0 && pct !== 100) reject(`${where}.default_value`, `${pct}% is not supported (0% or 100%)`);
  return pct === 100;
}

function responseHeaders(value: unknown, where: string): Headers | undefined {
  const entries = list(value, where);
  if (entries.length === 0) return undefined;
  const out: Required<Headers> = { set: [], add: [] };
  entries.forEach((e, i) => {
    const at = `${where}[${i}]`;
    const o = fields(e, at, ['header', 'append_action']);
    const h = fields(o['header'], `${at}.header`, ['key', 'value']);
    const header = { name: str(h['key'], `${at}.header.key`), value: h['value'] === undefined ? '' : str(h['value'], `${at}.header.value`) };
    const action = optStr(o['append_action'], `${at}.append_action`) ?? 'APPEND_IF_EXISTS_OR_ADD';
    if (action === 'OVERWRITE_IF_EXISTS_OR_ADD') out.set.push(header);
    else if (action === 'APPEND_IF_EXISTS_OR_ADD') out.add.push(header);
    else reject(`${at}.append_action`, `"${action}" is not supported (APPEND_IF_EXISTS_OR_ADD or OVERWRITE_IF_EXISTS_OR_ADD)`);
  });
  return { ...(out.set.length ? { set: out.set } : {}), ...(out.add.length ? { add: out.add } : {}) };
}

function statusOf(value: unknown, where: string): number {
  const code = fields(value, where, ['code'])['code'];
  const n = httpStatusCode(code);
  if (n === undefined || n < 100 || n > 599) reject(`${where}.code`, `${JSON.stringify(code)} is not an HTTP status`);
  return n;
}

/** undefined: the filter is there but switched off (`filter_enabled` 0 %), so nothing is limited. */
export function decodeHttpLocalRateLimit(config: unknown, where: string): MeshRateLimitConf | undefined {
  const c = typed(config, where, ENVOY_TYPES.httpLocalRateLimit, ['stat_prefix', 'status', 'token_bucket', 'filter_enabled', 'filter_enforced', 'response_headers_to_add']);
  str(c['stat_prefix'], `${where}.stat_prefix`);
  const enabled = onOrOff(c['filter_enabled'], `${where}.filter_enabled`);
  const enforced = onOrOff(c['filter_enforced'], `${where}.filter_enforced`);
  if (!enabled) return undefined;
  if (!enforced) reject(`${where}.filter_enforced`, 'a limit that is enabled but not enforced (shadow mode) is not supported');
  const status = c['status'] === undefined ? undefined : statusOf(c['status'], `${where}.status`);
  const headers = responseHeaders(c['response_headers_to_add'], `${where}.response_headers_to_add`);
  const onRateLimit = status !== undefined || headers ? { ...(status !== undefined ? { status } : {}), ...(headers ? { headers } : {}) } : undefined;
  const http: HttpLimit = { requestRate: tokenBucket(c['token_bucket'], `${where}.token_bucket`), ...(onRateLimit ? { onRateLimit } : {}) };
  return { local: { http } };
}

export function decodeNetworkLocalRateLimit(config: unknown, where: string): MeshRateLimitConf {
  const c: Json = typed(config, where, ENVOY_TYPES.networkLocalRateLimit, ['stat_prefix', 'token_bucket']);
  str(c['stat_prefix'], `${where}.stat_prefix`);
  return { local: { tcp: { connectionRate: tokenBucket(c['token_bucket'], `${where}.token_bucket`) } } };
}
