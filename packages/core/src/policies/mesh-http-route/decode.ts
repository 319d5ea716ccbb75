import { compileRe2 } from '../../xds/name-regex.ts';
import { bool, fields, int, list, optStr, reject, str, type Json } from '../../proxy/xds-config/reader.ts';
import type { HashPolicyConfig } from '../mesh-load-balancing-strategy/decode.ts';
import { decodeRouteHashPolicy } from '../mesh-load-balancing-strategy/decode.ts';

/**
 * An Envoy virtual host's routes read back into what meshcap dp's router runs (`router.ts`): the
 * matches (path prefix / exact / path-separated prefix / RE2 regex, headers, query parameters), and
 * per route its weighted clusters or redirect, rewrites and header modifiers. The settings every
 * route to a cluster carries (timeout, retry policy, idle timeout, hash policy) are one per listener
 * in meshcap dp, so routes that differ in them are refused.
 */

export interface HeaderCondition {
  /** Lower-case; `:method` is the request method. */
  name: string;
  kind: 'exact' | 'prefix' | 'regex' | 'present';
  value: string;
  invert: boolean;
}

export interface RouteMatchConfig {
  path: { kind: 'prefix' | 'exact' | 'segments' | 'regex'; value: string };
  headers: HeaderCondition[];
  query: Array<{ name: string; kind: 'exact' | 'regex'; value: string }>;
}

export interface HeaderEdit {
  name: string;
  value: string;
  /** true: replaces every value (OVERWRITE_IF_EXISTS_OR_ADD); false: appends. */
  overwrite: boolean;
}

export interface RedirectConfig {
  status: number;
  scheme?: string;
  host?: string;
  port?: number;
  path?: string;
  prefixRewrite?: string;
}

export interface RouteConfigEntry {
  match: RouteMatchConfig;
  /** Where the request goes (weights > 0); absent for a redirect. */
  clusters?: Array<{ name: string; weight: number }>;
  redirect?: RedirectConfig;
  prefixRewrite?: string;
  regexRewrite?: { pattern: string; substitution: string };
  hostRewrite?: string;
  requestHeadersToAdd: HeaderEdit[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderEdit[];
  responseHeadersToRemove: string[];
}

export interface DecodedRoutes {
  routes: RouteConfigEntry[];
  /** The RouteAction fields every routed entry shares (timeout, retry_policy, idle_timeout), as received. */
  action: Json;
  hashPolicy?: HashPolicyConfig[];
  /** The cluster the listener is credited with: the catch-all's, else the first named. */
  cluster: string;
}

const SHARED = ['timeout', 'retry_policy', 'idle_timeout', 'hash_policy'] as const;
const REDIRECT_STATUS: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };

function regex(value: unknown, where: string): string {
  const o = fields(value, where, ['regex']);
  const pattern = str(o['regex'], `${where}.regex`);
  const re = compileRe2(pattern);
  if (typeof re === 'string') reject(`${where}.regex`, `invalid regular expression: ${re}`);
  return pattern;
}

function stringMatch(value: unknown, where: string, allowed: readonly string[]): { kind: 'exact' | 'prefix' | 'regex'; value: string } {
  const o = fields(value, where, allowed);
  const keys = Object.keys(o);
  if (keys.length !== 1) reject(where, `needs exactly one of ${allowed.join(', ')}`);
  if (o['safe_regex'] !== undefined) return { kind: 'regex', value: regex(o['safe_regex'], `${where}.safe_regex`) };
  if (o['prefix'] !== undefined) return { kind: 'prefix', value: str(o['prefix'], `${where}.prefix`) };
  return { kind: 'exact', value: str(o['exact'], `${where}.exact`) };
}

function headerCondition(value: unknown, where: string): HeaderCondition {
  const h = fields(value, where, ['name', 'string_match', 'present_match', 'invert_match']);
  const name = str(h['name'], `${where}.name`).toLowerCase();
  const invert = h['invert_match'] === undefined ? false : bool(h['invert_match'], `${where}.invert_match`);
  if (h['present_match'] !== undefined) {
    if (!bool(h['present_match'], `${where}.present_match`)) reject(`${where}.present_match`, 'only true is supported');
    return { name, kind: 'present', value: '', invert };
  }
  const m = stringMatch(h['string_match'], `${where}.string_match`, ['exact', 'prefix', 'safe_regex']);
  return { name, ...m, invert };
}

function routeMatch(value: unknown, where: string): RouteMatchConfig {
  const m = fields(value, where, ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'headers', 'query_parameters']);
  const kinds = ['prefix', 'path', 'safe_regex', 'path_separated_prefix'].filter((k) => m[k] !== undefined);
  if (kinds.length !== 1) reject(where, 'needs exactly one of prefix, path, safe_regex, path_separated_prefix');
  const path: RouteMatchConfig['path'] =
    m['safe_regex'] !== undefined
      ? { kind: 'regex', value: regex(m['safe_regex'], `${where}.safe_regex`) }
      : m['path'] !== undefined
        ? { kind: 'exact', value: str(m['path'], `${where}.path`) }
        : m['path_separated_prefix'] !== undefined
          ? { kind: 'segments', value: str(m['path_separated_prefix'], `${where}.path_separated_prefix`) }
          : { kind: 'prefix', value: str(m['prefix'], `${where}.prefix`) };
  if (path.kind === 'segments' && (path.value.endsWith('/') || !path.value.startsWith('/'))) reject(`${where}.path_separated_prefix`, 'must start with "/" and not end with one');
  const headers = list(m['headers'], `${where}.headers`).map((h, i) => headerCondition(h, `${where}.headers[${i}]`));
  const query = list(m['query_parameters'], `${where}.query_parameters`).map((q, i) => {
    const at = `${where}.query_parameters[${i}]`;
    const o = fields(q, at, ['name', 'string_match']);
    const s = stringMatch(o['string_match'], `${at}.string_match`, ['exact', 'safe_regex']);
    return { name: str(o['name'], `${at}.name`), kind: s.kind as 'exact' | 'regex', value: s.value };
  });
  return { path, headers, query };
}

function headerEdits(value: unknown, where: string): HeaderEdit[] {
  return list(value, where).map((v, i) => {
    const at = `${where}[${i}]`;
    const o = fields(v, at, ['header', 'append_action']);
    const h = fields(o['header'], `${at}.header`, ['key', 'value']);
    const action = optStr(o['append_action'], `${at}.append_action`) ?? 'APPEND_IF_EXISTS_OR_ADD';
    if (action !== 'APPEND_IF_EXISTS_OR_ADD' && action !== 'OVERWRITE_IF_EXISTS_OR_ADD') reject(`${at}.append_action`, `"${action}" is not supported (APPEND_IF_EXISTS_OR_ADD, OVERWRITE_IF_EXISTS_OR_ADD)`);
    return { name: str(h['key'], `${at}.header.key`), value: optStr(h['value'], `${at}.header.value`) ?? '', overwrite: action === 'OVERWRITE_IF_EXISTS_OR_ADD' };
  });
}

function names(value: unknown, where: string): string[] {
  return list(value, where).map((v, i) => str(v, `${where}[${i}]`));
}

function redirectAction(value: unknown, where: string): RedirectConfig {
  const r = fields(value, where, ['scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'response_code']);
  const code = optStr(r['response_code'], `${where}.response_code`) ?? 'MOVED_PERMANENTLY';
  const status = REDIRECT_STATUS[code];
  if (status === undefined) reject(`${where}.response_code`, `"${code}" is not a redirect code (${Object.keys(REDIRECT_STATUS).join(', ')})`);
  return {
    status,
    scheme: optStr(r['scheme_redirect'], `${where}.scheme_redirect`),
    host: optStr(r['host_redirect'], `${where}.host_redirect`),
    port: r['port_redirect'] === undefined ? undefined : int(r['port_redirect'], `${where}.port_redirect`),
    path: optStr(r['path_redirect'], `${where}.path_redirect`),
    prefixRewrite: optStr(r['prefix_rewrite'], `${where}.prefix_rewrite`),
  };
}

function weightedClusters(value: unknown, where: string): Array<{ name: string; weight: number }> {
  const w = fields(value, where, ['clusters']);
  const out = list(w['clusters'], `${where}.clusters`).map((c, i) => {
    const at = `${where}.clusters[${i}]`;
    const o = fields(c, at, ['name', 'weight']);
    return { name: str(o['name'], `${at}.name`), weight: o['weight'] === undefined ? 0 : int(o['weight'], `${at}.weight`) };
  });
  if (out.reduce((s, c) => s + c.weight, 0) <= 0) reject(`${where}.clusters`, 'the weights must sum to more than 0');
  return out.filter((c) => c.weight > 0);
}

/** The routes of a virtual host. `where` names it (`… virtual_hosts[0]`). */
export function decodeRoutes(value: unknown, where: string): DecodedRoutes {
  const routes = list(value, where);
  if (routes.length === 0) reject(where, 'at least one route is needed');
  let action: Json | undefined;
  let actionKey = '';
  const out = routes.map((r, i): RouteConfigEntry => {
    const at = `${where}[${i}]`;
    const o = fields(r, at, ['match', 'route', 'redirect', 'name', 'request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove']);
    optStr(o['name'], `${at}.name`);
    if ((o['route'] === undefined) === (o['redirect'] === undefined)) reject(at, 'needs exactly one of route, redirect');
    const entry: RouteConfigEntry = {
      match: routeMatch(o['match'], `${at}.match`),
      requestHeadersToAdd: headerEdits(o['request_headers_to_add'], `${at}.request_headers_to_add`),
      requestHeadersToRemove: names(o['request_headers_to_remove'], `${at}.request_headers_to_remove`),
      responseHeadersToAdd: headerEdits(o['response_headers_to_add'], `${at}.response_headers_to_add`),
      responseHeadersToRemove: names(o['response_headers_to_remove'], `${at}.response_headers_to_remove`),
    };
    if (o['redirect'] !== undefined) return { ...entry, redirect: redirectAction(o['redirect'], `${at}.redirect`) };
    const a = fields(o['route'], `${at}.route`, ['cluster', 'weighted_clusters', 'prefix_rewrite', 'regex_rewrite', 'host_rewrite_literal', ...SHARED]);
    const shared: Json = {};
    for (const k of SHARED) if (a[k] !== undefined) shared[k] = a[k];
    const key = JSON.stringify(shared);
    if (action === undefined) {
      action = shared;
      actionKey = key;
    } else if (key !== actionKey) {
      reject(`${at}.route`, `timeout, retry_policy, idle_timeout and hash_policy must be the same on every route in meshcap dp (they are per listener)`);
    }
    if ((a['cluster'] === undefined) === (a['weighted_clusters'] === undefined)) reject(`${at}.route`, 'needs exactly one of cluster, weighted_clusters');
    const clusters = a['cluster'] !== undefined ? [{ name: str(a['cluster'], `${at}.route.cluster`), weight: 1 }] : weightedClusters(a['weighted_clusters'], `${at}.route.weighted_clusters`);
    let regexRewrite: RouteConfigEntry['regexRewrite'];
    if (a['regex_rewrite'] !== undefined) {
      const rr = fields(a['regex_rewrite'], `${at}.route.regex_rewrite`, ['pattern', 'substitution']);
      regexRewrite = { pattern: regex(rr['pattern'], `${at}.route.regex_rewrite.pattern`), substitution: str(rr['substitution'], `${at}.route.regex_rewrite.substitution`) };
    }
    const prefixRewrite = optStr(a['prefix_rewrite'], `${at}.route.prefix_rewrite`);
    if (prefixRewrite !== undefined && entry.match.path.kind !== 'prefix' && entry.match.path.kind !== 'segments') reject(`${at}.route.prefix_rewrite`, 'needs a prefix or path_separated_prefix match (Envoy)');
    return { ...entry, clusters, prefixRewrite, regexRewrite, hostRewrite: optStr(a['host_rewrite_literal'], `${at}.route.host_rewrite_literal`) };
  });
  const routed = out.filter((r) => r.clusters);
  if (routed.length === 0) reject(where, 'meshcap dp needs at least one route to a cluster (a listener is credited to one)');
  const catchAll = [...routed].reverse().find((r) => r.match.path.kind === 'prefix' && r.match.path.value === '/' && r.match.headers.length === 0 && r.match.query.length === 0);
  const hash = action?.['hash_policy'];
  return {
    routes: out,
    action: action ?? {},
    hashPolicy: hash === undefined ? undefined : decodeRouteHashPolicy(hash, `${where}[0].route.hash_policy`),
    cluster: (catchAll ?? routed[0]!).clusters![0]!.name,
  };
}

/** True when the routes are the plain catch-all to one cluster (no router needed). */
export function isSingleRoute(d: DecodedRoutes): boolean {
  const r = d.routes;
  return r.length === 1 && r[0]!.match.path.kind === 'prefix' && r[0]!.match.path.value === '/' && r[0]!.match.headers.length === 0 && r[0]!.match.query.length === 0 &&
    r[0]!.clusters?.length === 1 && !r[0]!.prefixRewrite && !r[0]!.regexRewrite && !r[0]!.hostRewrite &&
    r[0]!.requestHeadersToAdd.length + r[0]!.requestHeadersToRemove.length + r[0]!.responseHeadersToAdd.length + r[0]!.responseHeadersToRemove.length === 0;
}
