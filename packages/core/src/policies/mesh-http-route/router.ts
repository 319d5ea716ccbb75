import type { ClusterRuntime } from '../../proxy/context.ts';
import type { ActingPolicy, HttpHeadView, HttpRequestView, LocalReply } from '../../proxy/chain.ts';
import { hashKey } from '../mesh-load-balancing-strategy/balancer.ts';
import type { HashPolicyConfig } from '../mesh-load-balancing-strategy/decode.ts';
import type { DecodedRoutes, HeaderCondition, HeaderEdit, RedirectConfig, RouteConfigEntry } from './decode.ts';

/**
 * MeshHTTPRoute enforced by meshcap dp from the Envoy routes it received: the first route whose
 * match holds picks the request's cluster (by weight among weighted_clusters) or answers a
 * redirect; its rewrites and header edits change the request before it goes upstream, and the
 * response before it goes back. Matching is on the path without its query, as Envoy's; regexes
 * match the whole value (RE2 full match).
 */

/** A request as HTTP/1.1 and HTTP/2 sessions both hand it to the router: its head, a settable target and authority. */
export interface RoutableRequest extends HttpRequestView {
  /** A route's path rewrite (origin-form target, query included). */
  setTarget(target: string): void;
  /** A route's host rewrite (Host on HTTP/1.1, :authority on HTTP/2). */
  setAuthority(authority: string): void;
}

export interface RoutedRequest {
  readonly route: CompiledRoute;
  /** Undefined for a redirect. */
  readonly cluster?: ClusterRuntime;
}

type Test = (head: RoutableRequest, path: string, query: URLSearchParams | undefined) => boolean;

function headerTest(c: HeaderCondition): Test {
  const re = c.kind === 'regex' ? new RegExp(`^(?:${c.value})$`) : undefined;
  const test = (value: string | undefined): boolean => {
    if (c.kind === 'present') return value !== undefined;
    if (value === undefined) return false;
    if (c.kind === 'exact') return value === c.value;
    if (c.kind === 'prefix') return value.startsWith(c.value);
    return re!.test(value);
  };
  // An absent header fails a value match whether or not it is inverted (Envoy).
  return (head) => {
    const value = c.name === ':method' ? head.method : c.name === ':authority' ? head.authority : head.get(c.name);
    if (value === undefined && c.kind !== 'present') return false;
    return test(value) !== c.invert;
  };
}

export class CompiledRoute {
  private readonly tests: Test[] = [];
  private readonly needsQuery: boolean;
  readonly clusters: Array<{ runtime: ClusterRuntime; weight: number }>;
  private readonly total: number;
  private readonly rewrite: RegExp | undefined;

  constructor(
    readonly config: RouteConfigEntry,
    clusterOf: (name: string) => ClusterRuntime,
  ) {
    const p = config.match.path;
    if (p.kind === 'exact') this.tests.push((_h, path) => path === p.value);
    else if (p.kind === 'segments') this.tests.push((_h, path) => path.startsWith(p.value) && (path.length === p.value.length || path.charCodeAt(p.value.length) === 47));
    else if (p.kind === 'regex') {
      const re = new RegExp(`^(?:${p.value})$`);
      this.tests.push((_h, path) => re.test(path));
    } else if (p.value !== '/') this.tests.push((_h, path) => path.startsWith(p.value));
    for (const h of config.match.headers) this.tests.push(headerTest(h));
    for (const q of config.match.query) {
      const re = q.kind === 'regex' ? new RegExp(`^(?:${q.value})$`) : undefined;
      this.tests.push((_h, _p, query) => {
        const v = query?.get(q.name);
        return v !== undefined && v !== null && (re ? re.test(v) : v === q.value);
      });
    }
    this.needsQuery = config.match.query.length > 0;
    this.clusters = (config.clusters ?? []).map((c) => ({ runtime: clusterOf(c.name), weight: c.weight }));
    this.total = this.clusters.reduce((s, c) => s + c.weight, 0);
    this.rewrite = config.regexRewrite ? new RegExp(config.regexRewrite.pattern, 'g') : undefined;
  }

  matches(head: RoutableRequest, path: string, rawQuery: string | undefined): boolean {
    const query = this.needsQuery ? new URLSearchParams(rawQuery ?? '') : undefined;
    for (const t of this.tests) if (!t(head, path, query)) return false;
    return true;
  }

  /** A cluster by weight (`r` uniform in [0, 1)). */
  pick(r: number): ClusterRuntime | undefined {
    if (this.clusters.length <= 1) return this.clusters[0]?.runtime;
    let x = r * this.total;
    for (const c of this.clusters) {
      if (x < c.weight) return c.runtime;
      x -= c.weight;
    }
    return this.clusters[this.clusters.length - 1]!.runtime;
  }

  /** The request as the route sends it upstream: path and host rewritten, headers edited. */
  applyToRequest(head: RoutableRequest, path: string, rawQuery: string | undefined): void {
    const c = this.config;
    let newPath: string | undefined;
    if (c.prefixRewrite !== undefined) {
      newPath = replacePrefix(path, c.match.path.value, c.prefixRewrite);
    } else if (this.rewrite) {
      // RE2's \1 is JavaScript's $1.
      newPath = path.replace(this.rewrite, c.regexRewrite!.substitution.replaceAll('$', '$$$$').replace(/\\(\d)/g, '$$$1'));
    }
    if (newPath !== undefined) head.setTarget(rawQuery === undefined ? newPath : `${newPath}?${rawQuery}`);
    if (c.hostRewrite !== undefined) head.setAuthority(c.hostRewrite);
    editHeaders(head, c.requestHeadersToRemove, c.requestHeadersToAdd);
  }

  applyToResponse(head: HttpHeadView): void {
    editHeaders(head, this.config.responseHeadersToRemove, this.config.responseHeadersToAdd);
  }

  get redirect(): RedirectConfig | undefined {
    return this.config.redirect;
  }
}

function editHeaders(head: HttpHeadView, remove: readonly string[], add: readonly HeaderEdit[]): void {
  for (const name of remove) head.remove(name);
  for (const e of add) {
    if (e.overwrite) head.set(e.name, e.value);
    else head.append(e.name, e.value);
  }
}

/** The matched prefix replaced (Envoy's prefix_rewrite), without doubling the `/` between them. */
function replacePrefix(path: string, prefix: string, rewrite: string): string {
  const rest = path.slice(prefix.length);
  const out = rewrite.endsWith('/') && rest.startsWith('/') ? rewrite + rest.slice(1) : rewrite + rest;
  return out === '' ? '/' : out;
}

/** Splits a request's path at `?`. */
export function splitPath(pathWithQuery: string): { path: string; query: string | undefined } {
  const q = pathWithQuery.indexOf('?');
  return q < 0 ? { path: pathWithQuery, query: undefined } : { path: pathWithQuery.slice(0, q), query: pathWithQuery.slice(q + 1) };
}

/** Where a redirect sends the client (Envoy's RedirectAction over the request's scheme, host and path). */
export function redirectLocation(r: RedirectConfig, head: RoutableRequest, route: RouteConfigEntry): string {
  const scheme = r.scheme ?? 'http';
  const authority = head.authority;
  const colon = authority.startsWith('[') ? authority.indexOf(':', authority.indexOf(']')) : authority.lastIndexOf(':');
  const host = r.host ?? (colon > 0 ? authority.slice(0, colon) : authority);
  const originalPort = colon > 0 ? Number(authority.slice(colon + 1)) : undefined;
  // A scheme change drops the old port (Envoy); the scheme's default port is never written.
  const port = r.port ?? (r.scheme === undefined ? originalPort : undefined);
  const defaultPort = scheme === 'https' ? 443 : 80;
  const { path, query } = splitPath(head.path);
  let newPath = path;
  if (r.path !== undefined) newPath = r.path;
  else if (r.prefixRewrite !== undefined) newPath = replacePrefix(path, route.match.path.value, r.prefixRewrite);
  const q = r.path !== undefined && r.path.includes('?') ? '' : query === undefined ? '' : `?${query}`;
  return `${scheme}://${host}${port !== undefined && port !== defaultPort ? `:${port}` : ''}${newPath || '/'}${q}`;
}

/** The routes of one HTTP listener, and its hash policy (RING_HASH/MAGLEV keys). */
export class HttpRouter {
  readonly routes: CompiledRoute[];
  private readonly hashPolicy: readonly HashPolicyConfig[];

  constructor(
    decoded: Pick<DecodedRoutes, 'routes' | 'hashPolicy'>,
    clusterOf: (name: string) => ClusterRuntime,
    /** The MeshHTTPRoute the routes came from (the flow credits it). */
    readonly policy: string | undefined,
  ) {
    this.routes = decoded.routes.map((r) => new CompiledRoute(r, clusterOf));
    this.hashPolicy = decoded.hashPolicy ?? [];
  }

  select(head: RoutableRequest, random: () => number): RoutedRequest | undefined {
    const { path, query } = splitPath(head.path);
    for (const route of this.routes) {
      if (!route.matches(head, path, query)) continue;
      return { route, cluster: route.redirect ? undefined : route.pick(route.clusters.length > 1 ? random() : 0) };
    }
    return undefined;
  }

  /** The request's hash key (Envoy: the policies in order, combined; a terminal one that yields stops there); undefined when none yields. */
  hash(head: RoutableRequest, sourceAddress: string): number | undefined {
    return requestHash(this.hashPolicy, head, sourceAddress);
  }
}

export function requestHash(policies: readonly HashPolicyConfig[], head: RoutableRequest | undefined, sourceAddress: string): number | undefined {
  let out: number | undefined;
  for (const p of policies) {
    const value = p.kind === 'sourceIp' ? sourceAddress : !head ? undefined : p.kind === 'header' ? head.get(p.name) : new URLSearchParams(splitPath(head.path).query ?? '').get(p.name) ?? undefined;
    if (value === undefined) continue;
    const h = hashKey(value);
    out = out === undefined ? h : (Math.imul(out, 31) + h) >>> 0;
    if (p.terminal) break;
  }
  return out;
}

/** What the router decided for one request: a local answer, or the cluster (and hash key) to send it to, with the route's edits applied. */
export type RouteDecision =
  | { reply: LocalReply }
  | { reply?: undefined; route: CompiledRoute; cluster: ClusterRuntime; policy?: ActingPolicy; hash?: number };

/**
 * Routes one request (HTTP/1.1 and HTTP/2 alike): no route matching is Envoy's 404 (NR); a
 * redirect is answered here; otherwise the request is rewritten and goes to the route's cluster.
 */
export function routeRequest(router: HttpRouter, request: RoutableRequest, random: () => number, sourceAddress: string, fallback: ClusterRuntime): RouteDecision {
  const selected = router.select(request, random);
  const policy: ActingPolicy | undefined = router.policy === undefined ? undefined : { type: 'MeshHTTPRoute', name: router.policy };
  if (!selected) return { reply: { status: 404, verdict: 'error', reason: 'route_not_found', policy } };
  const { route } = selected;
  if (route.redirect) {
    return { reply: { status: route.redirect.status, headers: { location: redirectLocation(route.redirect, request, route.config) }, verdict: 'forwarded', reason: 'redirect', policy } };
  }
  const { path, query } = splitPath(request.path);
  route.applyToRequest(request, path, query);
  const cluster = selected.cluster ?? fallback;
  return { route, cluster, policy, hash: cluster.state.hashing ? router.hash(request, sourceAddress) : undefined };
}
