import { compact, headerValueOptions, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { headerMatcher } from '../mesh-retry/envoy.ts';
import type { BackendRef, HttpMatch, HttpRouteFilter, MeshHTTPRouteConf, PathRewrite } from './schema.ts';

/**
 * MeshHTTPRoute rendered as Kuma renders it for Envoy: one route per match of each rule, ordered by
 * precedence (Gateway API's: exact path, then the longest prefix, then regex; then method, header
 * count, query count), then the catch-all `/` to the destination service unless a rule covers it.
 * backendRefs become the route's cluster or weighted_clusters; a subset of a service is its own
 * cluster (`backendClusterName`), which the resource builder creates with the matching endpoints.
 */

/** A backend as a cluster: the service's own cluster, or a subset cluster named after the service and its tags. */
export function backendClusterName(ref: Pick<BackendRef, 'name' | 'tags'>): string {
  const tags = Object.entries(ref.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return tags.length === 0 ? ref.name : `${ref.name}_${tags.map(([k, v]) => `${k}-${v}`).join('_')}`;
}

/** Every backend a conf sends to (for the clusters it needs). */
export function routeBackends(conf: { rules: ReadonlyArray<{ default: { backendRefs?: readonly BackendRef[] } }> }): BackendRef[] {
  return conf.rules.flatMap((r) => r.default.backendRefs ?? []);
}

/** Envoy's RouteAction target: one cluster, or weighted_clusters (zero weights left out). */
export function routeTarget(refs: readonly BackendRef[] | undefined, service: string): EnvoyMessage {
  const live = (refs ?? []).filter((r) => (r.weight ?? 1) > 0);
  if (live.length === 0) return { cluster: service };
  const names = new Map<string, number>();
  for (const r of live) names.set(backendClusterName(r), (names.get(backendClusterName(r)) ?? 0) + (r.weight ?? 1));
  if (names.size === 1) return { cluster: [...names.keys()][0] };
  return { weighted_clusters: { clusters: [...names].map(([name, weight]) => ({ name, weight })) } };
}

function pathMatch(m: HttpMatch): EnvoyMessage {
  const p = m.path;
  if (!p) return { prefix: '/' };
  if (p.type === 'Exact') return { path: p.value };
  if (p.type === 'RegularExpression') return { safe_regex: { regex: p.value } };
  // Gateway API prefixes match whole path segments: `/v1` is `/v1` and `/v1/…`, never `/v1x`.
  const trimmed = p.value.replace(/\/+$/, '');
  return trimmed === '' ? { prefix: '/' } : { path_separated_prefix: trimmed };
}

export function routeMatch(m: HttpMatch): EnvoyMessage {
  const headers = [
    ...(m.method ? [{ name: ':method', string_match: { exact: m.method } }] : []),
    ...(m.headers ?? []).map(headerMatcher),
  ];
  const query = (m.queryParams ?? []).map((q) => ({ name: q.name, string_match: q.type === 'Exact' ? { exact: q.value } : { safe_regex: { regex: q.value } } }));
  const path = pathMatch(m);
  // Envoy prints fields in field-number order: prefix 1, path 2, headers 6, query_parameters 7, safe_regex 10, path_separated_prefix 14.
  return compact({
    prefix: path['prefix'],
    path: path['path'],
    headers: headers.length > 0 ? headers : undefined,
    query_parameters: query.length > 0 ? query : undefined,
    safe_regex: path['safe_regex'],
    path_separated_prefix: path['path_separated_prefix'],
  });
}

/** Gateway API precedence, most specific first; ties keep their order. */
function precedence(a: HttpMatch, b: HttpMatch): number {
  const kind = (m: HttpMatch): number => (m.path?.type === 'Exact' ? 0 : m.path?.type === 'PathPrefix' ? 1 : m.path ? 2 : 1);
  const length = (m: HttpMatch): number => (m.path?.type === 'RegularExpression' ? 0 : (m.path?.value ?? '/').replace(/\/+$/, '').length);
  return (
    kind(a) - kind(b) ||
    length(b) - length(a) ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    (b.headers?.length ?? 0) - (a.headers?.length ?? 0) ||
    (b.queryParams?.length ?? 0) - (a.queryParams?.length ?? 0)
  );
}

const REDIRECT_CODES: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

function pathRewrite(p: PathRewrite | undefined): EnvoyMessage {
  if (!p) return {};
  return p.type === 'ReplacePrefixMatch' ? { prefix_rewrite: p.replacePrefixMatch } : { regex_rewrite: { pattern: { regex: '^.*$' }, substitution: p.replaceFullPath } };
}

function removals(h: { remove?: string[] } | undefined): string[] | undefined {
  return h?.remove?.length ? h.remove : undefined;
}

/**
 * The routes of one outbound. `action` holds what every route to a cluster carries (timeout, retry
 * policy, idle timeout, hash policy: the outbound's other policies).
 */
export function httpRoutes(conf: MeshHTTPRouteConf | undefined, service: string, action: EnvoyMessage): EnvoyMessage[] {
  const entries = (conf?.rules ?? []).flatMap((rule) => rule.matches.map((match) => ({ match, conf: rule.default })));
  entries.sort((a, b) => precedence(a.match, b.match));
  const routes: EnvoyMessage[] = entries.map(({ match, conf: d }) => {
    const of = <T extends HttpRouteFilter['type']>(type: T): HttpRouteFilter | undefined => d.filters?.find((f) => f.type === type);
    const requestHeaders = d.filters?.filter((f) => f.type === 'RequestHeaderModifier').map((f) => f.requestHeaderModifier!);
    const responseHeaders = d.filters?.filter((f) => f.type === 'ResponseHeaderModifier').map((f) => f.responseHeaderModifier!);
    const redirect = of('RequestRedirect')?.requestRedirect;
    const rewrite = of('URLRewrite')?.urlRewrite;
    // Field-number order: request_headers_to_add 9, response_headers_to_add 10, response_headers_to_remove 11, request_headers_to_remove 12.
    const headers = compact({
      request_headers_to_add: flat(requestHeaders?.map(headerValueOptions)),
      response_headers_to_add: flat(responseHeaders?.map(headerValueOptions)),
      response_headers_to_remove: flat(responseHeaders?.map(removals)),
      request_headers_to_remove: flat(requestHeaders?.map(removals)),
    });
    if (redirect) {
      const path = redirect.path;
      return compact({
        match: routeMatch(match),
        redirect: compact({
          host_redirect: redirect.hostname,
          path_redirect: path?.type === 'ReplaceFullPath' ? path.replaceFullPath : undefined,
          response_code: REDIRECT_CODES[redirect.statusCode ?? 302],
          prefix_rewrite: path?.type === 'ReplacePrefixMatch' ? path.replacePrefixMatch : undefined,
          scheme_redirect: redirect.scheme,
          port_redirect: redirect.port,
        }),
        ...headers,
      });
    }
    return compact({
      match: routeMatch(match),
      route: routeAction({ ...routeTarget(d.backendRefs, service), ...pathRewrite(rewrite?.path), host_rewrite_literal: rewrite?.hostname, ...action }),
      ...headers,
    });
  });
  const covered = entries.some((e) => (e.match.path === undefined || (e.match.path.type === 'PathPrefix' && e.match.path.value.replace(/\/+$/, '') === '')) && !e.match.method && !e.match.headers?.length && !e.match.queryParams?.length);
  if (!covered) routes.push({ match: { prefix: '/' }, route: routeAction({ cluster: service, ...action }) });
  return routes;
}

/** RouteAction fields in Envoy's field-number order. */
const ACTION_ORDER = ['cluster', 'weighted_clusters', 'prefix_rewrite', 'host_rewrite_literal', 'timeout', 'retry_policy', 'hash_policy', 'idle_timeout', 'regex_rewrite'];

export function routeAction(fields: EnvoyMessage): EnvoyMessage {
  const out: EnvoyMessage = {};
  for (const k of ACTION_ORDER) if (fields[k] !== undefined) out[k] = fields[k];
  for (const k of Object.keys(fields)) if (!(k in out) && fields[k] !== undefined) out[k] = fields[k];
  return out;
}

function flat<T>(lists: Array<T[] | undefined> | undefined): T[] | undefined {
  const out = (lists ?? []).flatMap((l) => l ?? []);
  return out.length > 0 ? out : undefined;
}
