import type { PolicyConfs } from '../../model/index.ts';
import { ENVOY_FILTERS, ENVOY_TYPES, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { POLICIES_METADATA } from '../../xds/resources.ts';
import type { ActingPolicy } from '../chain.ts';
import type { HttpCodec, Http2Options, ListenerConfig, ListenerProtocol } from '../config.ts';
import { decodeCodecType, decodeHttp2Options } from '../http2/options.ts';
import type { Applied } from '../policies/conf-source.ts';
import { decodeAccessLogs } from '../../policies/mesh-access-log/decode.ts';
import { socketAddressOf } from './cluster.ts';
import { decodeFaultFilter } from '../../policies/mesh-fault-injection/decode.ts';
import { decodeFilterChainMatch, FilterChainSelector, type ChainMatch } from './filter-chain-match.ts';
import { decodeHttpLocalRateLimit, decodeNetworkLocalRateLimit } from '../../policies/mesh-rate-limit/decode.ts';
import { decodeHttpRbac, decodeNetworkRbac } from '../../policies/mesh-traffic-permission/decode.ts';
import { bool, duration, fields, int, list, optStr, reject, str, typed, type Json } from './reader.ts';
import { decodeTimeouts } from '../../policies/mesh-timeout/decode.ts';
import { decodeRoutes, isSingleRoute, type DecodedRoutes } from '../../policies/mesh-http-route/decode.ts';
import { decodeTcpHashPolicy } from '../../policies/mesh-load-balancing-strategy/decode.ts';
import { decodeTcpWeightedClusters, type TcpRouteConfig } from '../../policies/mesh-tcp-route/split.ts';
import { decodeRetryPolicy } from '../../policies/mesh-retry/decode.ts';
import { decodeDownstreamTls, type DecodedSecrets, type TlsSocketConfig } from '../tls/decode.ts';
import { checkChainTransport, sameTls, splitTransportMatch } from '../tls/chains.ts';

/**
 * A Listener as the engine runs it: its address and role (capture listener, hand-off target or a
 * listener of its own), its protocol and cluster, and per filter chain the policy confs decoded
 * from the chain's filters, credited to the policies its `io.meshcap.policies` metadata names.
 */

/** The policy types the engine's passes enforce, decoded per filter chain. */
export type EnforcedType = 'MeshTrafficPermission' | 'MeshRateLimit' | 'MeshFaultInjection' | 'MeshTimeout' | 'MeshRetry' | 'MeshAccessLog';
export type ChainConfs = { [T in EnforcedType]?: Applied<PolicyConfs[T]> };

export interface DecodedChain {
  match: ChainMatch;
  confs: ChainConfs;
}

/** The listener's own settings (as ListenerConfig names them), its cluster by name, and its chains. */
export interface DecodedListener extends Pick<ListenerConfig, 'name' | 'direction' | 'address' | 'port' | 'bind' | 'useOriginalDst' | 'transparent' | 'protocol' | 'codec' | 'http2'> {
  tags: Record<string, string>;
  /** TPROXY inbound: upstream connections leave from the client's address (original_src), with this mark if set. */
  originalSource?: { mark?: number };
  cluster: string;
  httpStatPrefix?: string;
  /** MeshHTTPRoute: the routes and the policy credited with them. */
  httpRoutes?: ListenerConfig['httpRoutes'];
  tcpRoute?: ListenerConfig['tcpRoute'];
  chains: DecodedChain[];
  selector: FilterChainSelector;
  /** Chains with a TLS transport socket (mTLS): connections that handshake are served by them, with their own selector. */
  mtls?: { tls: TlsSocketConfig; chains: DecodedChain[]; selector: FilterChainSelector };
  /** tls_inspector: plaintext chains beside the TLS ones (PERMISSIVE). */
  tlsInspector: boolean;
}

/** Envoy's request timeout when a route sets none. */
const ENVOY_ROUTE_TIMEOUT = '15s';

/** What a chain's filters say, before policy names are attached. */
interface RawConfs {
  MeshTrafficPermission?: PolicyConfs['MeshTrafficPermission'];
  MeshRateLimit?: PolicyConfs['MeshRateLimit'];
  MeshFaultInjection?: PolicyConfs['MeshFaultInjection'];
  MeshRetry?: PolicyConfs['MeshRetry'];
  MeshAccessLog?: PolicyConfs['MeshAccessLog'];
  idleTimeout?: string;
  requestTimeout?: string;
  streamIdleTimeout?: string;
  routeIdleTimeout?: string;
  requestHeadersTimeout?: string;
  maxStreamDuration?: string;
  maxConnectionDuration?: string;
}

interface RawChain {
  protocol: ListenerProtocol;
  cluster: string;
  /** MeshHTTPRoute routes (or a hash policy): the request picks its cluster. */
  routes?: DecodedRoutes;
  /** MeshTCPRoute split (or a hash policy): the connection picks its cluster. */
  tcpRoute?: TcpRouteConfig;
  httpStatPrefix?: string;
  codec?: HttpCodec;
  http2?: Http2Options;
  confs: RawConfs;
}

function policiesOf(metadata: unknown, where: string): Map<string, string> {
  const out = new Map<string, string>();
  if (metadata === undefined) return out;
  const m = fields(metadata, where, ['filter_metadata']);
  const fm = fields(m['filter_metadata'], `${where}.filter_metadata`, [POLICIES_METADATA]);
  if (fm[POLICIES_METADATA] === undefined) return out;
  const at = `${where}.filter_metadata["${POLICIES_METADATA}"]`;
  const p = fields(fm[POLICIES_METADATA], at, ['policies']);
  list(p['policies'], `${at}.policies`).forEach((e, i) => {
    const r = fields(e, `${at}.policies[${i}]`, ['type', 'name']);
    out.set(str(r['type'], `${at}.policies[${i}].type`), str(r['name'], `${at}.policies[${i}].name`));
  });
  return out;
}

function tagsOf(metadata: unknown, where: string): Record<string, string> {
  if (metadata === undefined) return {};
  const m = fields(metadata, where, ['filter_metadata']);
  const fm = fields(m['filter_metadata'], `${where}.filter_metadata`, ['io.kuma.tags']);
  const tags = fm['io.kuma.tags'] === undefined ? {} : fields(fm['io.kuma.tags'], `${where}.filter_metadata["io.kuma.tags"]`, Object.keys(fm['io.kuma.tags'] as object));
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, str(v, `${where}.filter_metadata["io.kuma.tags"].${k}`)]));
}

function routeConfiguration(value: unknown, where: string, raw: RawConfs): { cluster: string; routes?: DecodedRoutes } {
  const r = fields(value, where, ['name', 'virtual_hosts', 'validate_clusters']);
  optStr(r['name'], `${where}.name`);
  if (r['validate_clusters'] !== undefined) bool(r['validate_clusters'], `${where}.validate_clusters`);
  const hosts = list(r['virtual_hosts'], `${where}.virtual_hosts`);
  if (hosts.length !== 1) reject(`${where}.virtual_hosts`, 'exactly one virtual host is supported');
  const vh = fields(hosts[0], `${where}.virtual_hosts[0]`, ['name', 'domains', 'routes']);
  const domains = list(vh['domains'], `${where}.virtual_hosts[0].domains`);
  if (domains.length !== 1 || domains[0] !== '*') reject(`${where}.virtual_hosts[0].domains`, 'only ["*"] is supported (meshcap dp does not route by host)');
  const routes = decodeRoutes(vh['routes'], `${where}.virtual_hosts[0].routes`);
  // Every route to a cluster carries the same timeout, retry policy and idle timeout (checked by decodeRoutes).
  const at = `${where}.virtual_hosts[0].routes[0]`;
  const action = routes.action;
  raw.requestTimeout = action['timeout'] === undefined ? ENVOY_ROUTE_TIMEOUT : duration(action['timeout'], `${at}.route.timeout`).text;
  if (action['idle_timeout'] !== undefined) raw.routeIdleTimeout = duration(action['idle_timeout'], `${at}.route.idle_timeout`).text;
  if (action['retry_policy'] !== undefined) raw.MeshRetry = decodeRetryPolicy(action['retry_policy'], `${at}.route.retry_policy`);
  return { cluster: routes.cluster, routes: isSingleRoute(routes) && !routes.hashPolicy ? undefined : routes };
}

/** HTTP filters in the order the engine's HTTP chain runs them; the router last. */
const HTTP_FILTER_ORDER = [ENVOY_FILTERS.rbac, ENVOY_FILTERS.localRateLimit, ENVOY_FILTERS.fault, ENVOY_FILTERS.router] as const;

function httpConnectionManager(config: unknown, where: string, routes: ReadonlyMap<string, EnvoyMessage>): RawChain {
  const h = typed(config, where, ENVOY_TYPES.httpConnectionManager, [
    'stat_prefix', 'rds', 'route_config', 'http_filters', 'access_log', 'common_http_protocol_options', 'stream_idle_timeout', 'request_headers_timeout', 'codec_type', 'http2_protocol_options',
  ]);
  const codec = decodeCodecType(h['codec_type'], `${where}.codec_type`);
  const http2 = h['http2_protocol_options'] === undefined ? undefined : decodeHttp2Options(h['http2_protocol_options'], `${where}.http2_protocol_options`);
  const raw: RawConfs = {};
  const statPrefix = str(h['stat_prefix'], `${where}.stat_prefix`);
  let cluster: { cluster: string; routes?: DecodedRoutes };
  if ((h['rds'] === undefined) === (h['route_config'] === undefined)) reject(where, 'needs exactly one of rds or route_config');
  if (h['rds'] !== undefined) {
    const rds = fields(h['rds'], `${where}.rds`, ['config_source', 'route_config_name']);
    fields(rds['config_source'], `${where}.rds.config_source`, ['ads', 'resource_api_version']);
    const name = str(rds['route_config_name'], `${where}.rds.route_config_name`);
    const rc = routes.get(name);
    if (!rc) reject(`${where}.rds.route_config_name`, `no RouteConfiguration "${name}" among the routes received`);
    typed(rc, `RouteConfiguration "${name}"`, ENVOY_TYPES.routeConfiguration, ['name', 'virtual_hosts', 'validate_clusters']);
    cluster = routeConfiguration(rc, `RouteConfiguration "${name}"`, raw);
  } else {
    cluster = routeConfiguration(h['route_config'], `${where}.route_config`, raw);
  }
  let rank = 0;
  const filters = list(h['http_filters'], `${where}.http_filters`);
  filters.forEach((f, i) => {
    const at = `${where}.http_filters[${i}]`;
    const e = fields(f, at, ['name', 'typed_config']);
    const name = str(e['name'], `${at}.name`);
    const r = (HTTP_FILTER_ORDER as readonly string[]).indexOf(name);
    if (r < 0) reject(`${at}.name`, `"${name}" is not supported (${HTTP_FILTER_ORDER.join(', ')})`);
    if (r < rank || (r === rank && name !== ENVOY_FILTERS.fault && i > 0)) reject(`${at}.name`, `out of order or repeated: meshcap dp runs ${HTTP_FILTER_ORDER.join(', ')} in this order`);
    rank = r;
    const tc = `${at}.typed_config`;
    if (name === ENVOY_FILTERS.rbac) raw.MeshTrafficPermission = decodeHttpRbac(e['typed_config'], tc);
    else if (name === ENVOY_FILTERS.localRateLimit) raw.MeshRateLimit = decodeHttpLocalRateLimit(e['typed_config'], tc);
    else if (name === ENVOY_FILTERS.fault) (raw.MeshFaultInjection ??= { http: [] }).http!.push(decodeFaultFilter(e['typed_config'], tc));
    else typed(e['typed_config'], tc, ENVOY_TYPES.router, []);
  });
  if (filters.length === 0 || (filters[filters.length - 1] as Json)['name'] !== ENVOY_FILTERS.router) reject(`${where}.http_filters`, `must end with ${ENVOY_FILTERS.router}`);
  raw.MeshAccessLog = decodeAccessLogs(h['access_log'], `${where}.access_log`);
  if (h['common_http_protocol_options'] !== undefined) {
    const at = `${where}.common_http_protocol_options`;
    const o = fields(h['common_http_protocol_options'], at, ['idle_timeout', 'max_stream_duration', 'max_connection_duration']);
    if (o['idle_timeout'] !== undefined) raw.idleTimeout = duration(o['idle_timeout'], `${at}.idle_timeout`).text;
    if (o['max_stream_duration'] !== undefined) raw.maxStreamDuration = duration(o['max_stream_duration'], `${at}.max_stream_duration`).text;
    if (o['max_connection_duration'] !== undefined) raw.maxConnectionDuration = duration(o['max_connection_duration'], `${at}.max_connection_duration`).text;
  }
  if (h['stream_idle_timeout'] !== undefined) raw.streamIdleTimeout = duration(h['stream_idle_timeout'], `${where}.stream_idle_timeout`).text;
  if (h['request_headers_timeout'] !== undefined) raw.requestHeadersTimeout = duration(h['request_headers_timeout'], `${where}.request_headers_timeout`).text;
  return { protocol: 'http', cluster: cluster.cluster, routes: cluster.routes, httpStatPrefix: statPrefix, codec, http2, confs: raw };
}

function tcpProxy(config: unknown, where: string, raw: RawConfs): { cluster: string; tcpRoute?: TcpRouteConfig } {
  const t = typed(config, where, ENVOY_TYPES.tcpProxy, ['stat_prefix', 'cluster', 'weighted_clusters', 'hash_policy', 'access_log', 'idle_timeout', 'max_connect_attempts']);
  str(t['stat_prefix'], `${where}.stat_prefix`);
  if (t['max_connect_attempts'] !== undefined && int(t['max_connect_attempts'], `${where}.max_connect_attempts`) !== 1) {
    reject(`${where}.max_connect_attempts`, 'meshcap dp connects once (MeshRetry tcp is not enforced)');
  }
  raw.MeshAccessLog = decodeAccessLogs(t['access_log'], `${where}.access_log`);
  if (t['idle_timeout'] !== undefined) raw.idleTimeout = duration(t['idle_timeout'], `${where}.idle_timeout`).text;
  if ((t['cluster'] === undefined) === (t['weighted_clusters'] === undefined)) reject(where, 'needs exactly one of cluster, weighted_clusters');
  const hashPolicy = decodeTcpHashPolicy(t['hash_policy'], `${where}.hash_policy`);
  if (t['cluster'] !== undefined) {
    const cluster = str(t['cluster'], `${where}.cluster`);
    return { cluster, tcpRoute: hashPolicy ? { clusters: [{ name: cluster, weight: 1 }], hashPolicy } : undefined };
  }
  const clusters = decodeTcpWeightedClusters(t['weighted_clusters'], `${where}.weighted_clusters`);
  return { cluster: clusters[0]!.name, tcpRoute: { clusters, hashPolicy } };
}

/** The network filters of a chain: one HttpConnectionManager, or RBAC, local rate limit, tcp_proxy in this order. */
function chainFilters(value: unknown, where: string, routes: ReadonlyMap<string, EnvoyMessage>): RawChain {
  const filters = list(value, where);
  const entry = (i: number): { name: string; config: unknown; at: string } => {
    const e = fields(filters[i], `${where}[${i}]`, ['name', 'typed_config']);
    return { name: str(e['name'], `${where}[${i}].name`), config: e['typed_config'], at: `${where}[${i}].typed_config` };
  };
  if (filters.length === 0) reject(where, 'a filter chain needs an http_connection_manager or a tcp_proxy');
  const first = entry(0);
  if (first.name === ENVOY_FILTERS.httpConnectionManager) {
    if (filters.length > 1) reject(`${where}[1]`, `nothing may follow ${ENVOY_FILTERS.httpConnectionManager}`);
    return httpConnectionManager(first.config, first.at, routes);
  }
  const raw: RawConfs = {};
  const order = [ENVOY_FILTERS.networkRbac, ENVOY_FILTERS.networkLocalRateLimit, ENVOY_FILTERS.tcpProxy] as const;
  let rank = -1;
  for (let i = 0; i < filters.length; i++) {
    const f = entry(i);
    const r = (order as readonly string[]).indexOf(f.name);
    if (r < 0) reject(`${where}[${i}].name`, `"${f.name}" is not supported (${[ENVOY_FILTERS.httpConnectionManager, ...order].join(', ')})`);
    if (r <= rank) reject(`${where}[${i}].name`, `out of order or repeated: meshcap dp runs ${order.join(', ')} in this order`);
    rank = r;
    if (f.name === ENVOY_FILTERS.networkRbac) raw.MeshTrafficPermission = decodeNetworkRbac(f.config, f.at);
    else if (f.name === ENVOY_FILTERS.networkLocalRateLimit) raw.MeshRateLimit = decodeNetworkLocalRateLimit(f.config, f.at);
    else {
      if (i !== filters.length - 1) reject(`${where}[${i + 1}]`, `nothing may follow ${ENVOY_FILTERS.tcpProxy}`);
      return { protocol: 'tcp', ...tcpProxy(f.config, f.at, raw), confs: raw };
    }
  }
  return reject(where, `must end with ${ENVOY_FILTERS.tcpProxy}`);
}

/** Attaches the policy each conf is credited to: the chain's metadata, or (a resource that names none) the chain itself. */
function credited(raw: RawConfs, names: Map<string, string>, fallback: string, connectTimeout: string | undefined): ChainConfs {
  const by = (type: EnforcedType): ActingPolicy => ({ type, name: names.get(type) ?? fallback });
  const out: ChainConfs = {};
  const put = <T extends EnforcedType>(type: T, conf: PolicyConfs[T] | undefined): void => {
    if (conf !== undefined) out[type] = { conf, policy: by(type) } as ChainConfs[T];
  };
  put('MeshTrafficPermission', raw.MeshTrafficPermission);
  put('MeshRateLimit', raw.MeshRateLimit);
  put('MeshFaultInjection', raw.MeshFaultInjection);
  put('MeshRetry', raw.MeshRetry);
  put('MeshAccessLog', raw.MeshAccessLog);
  // The connect timeout is the cluster's (the engine applies it); named here so its expiry is credited to the MeshTimeout.
  put(
    'MeshTimeout',
    decodeTimeouts({
      connectTimeout: names.has('MeshTimeout') ? connectTimeout : undefined,
      idleTimeout: raw.idleTimeout,
      requestTimeout: raw.requestTimeout,
      // The route's idle_timeout overrides the connection manager's stream_idle_timeout (Envoy).
      streamIdleTimeout: raw.routeIdleTimeout ?? raw.streamIdleTimeout,
      requestHeadersTimeout: raw.requestHeadersTimeout,
      maxStreamDuration: raw.maxStreamDuration,
      maxConnectionDuration: raw.maxConnectionDuration,
    }),
  );
  return out;
}

function listenerFilters(value: unknown, where: string): { originalDst: boolean; originalSource?: { mark?: number }; tlsInspector: boolean } {
  let originalDst = false;
  let tlsInspector = false;
  let originalSource: { mark?: number } | undefined;
  list(value, where).forEach((f, i) => {
    const at = `${where}[${i}]`;
    const e = fields(f, at, ['name', 'typed_config']);
    const name = str(e['name'], `${at}.name`);
    if (name === ENVOY_FILTERS.originalDst) {
      typed(e['typed_config'], `${at}.typed_config`, ENVOY_TYPES.originalDst, []);
      originalDst = true;
    } else if (name === ENVOY_FILTERS.originalSrc) {
      const c = typed(e['typed_config'], `${at}.typed_config`, ENVOY_TYPES.originalSrc, ['mark']);
      originalSource = c['mark'] === undefined ? {} : { mark: int(c['mark'], `${at}.typed_config.mark`) };
    } else if (name === ENVOY_FILTERS.tlsInspector) {
      typed(e['typed_config'], `${at}.typed_config`, ENVOY_TYPES.tlsInspector, []);
      tlsInspector = true;
    } else {
      reject(`${at}.name`, `"${name}" is not supported (${ENVOY_FILTERS.originalDst}, ${ENVOY_FILTERS.originalSrc}, ${ENVOY_FILTERS.tlsInspector})`);
    }
  });
  return { originalDst, originalSource, tlsInspector };
}

/**
 * `where` names the resource (`Listener "inbound:…"`); `connectTimeoutOf` gives a cluster's
 * connect timeout as written (for crediting it to the chain's MeshTimeout).
 */
export function decodeListener(
  listener: EnvoyMessage,
  where: string,
  routes: ReadonlyMap<string, EnvoyMessage>,
  connectTimeoutOf: (cluster: string) => string | undefined,
  secrets: DecodedSecrets = { certificates: new Map(), trusted: new Map() },
): DecodedListener {
  const l = typed(listener, where, ENVOY_TYPES.listener, ['name', 'address', 'filter_chains', 'use_original_dst', 'metadata', 'listener_filters', 'transparent', 'traffic_direction', 'bind_to_port']);
  const name = str(l['name'], `${where}.name`);
  const { address, port } = socketAddressOf(l['address'], `${where}.address`);
  const direction = str(l['traffic_direction'], `${where}.traffic_direction`);
  if (direction !== 'INBOUND' && direction !== 'OUTBOUND') reject(`${where}.traffic_direction`, 'must be INBOUND or OUTBOUND (meshcap dp records each flow with its direction)');
  const useOriginalDst = l['use_original_dst'] === undefined ? false : bool(l['use_original_dst'], `${where}.use_original_dst`);
  const lf = listenerFilters(l['listener_filters'], `${where}.listener_filters`);
  if (useOriginalDst !== lf.originalDst) reject(`${where}.listener_filters`, `use_original_dst needs ${ENVOY_FILTERS.originalDst}, and only it`);
  if (lf.originalSource && !(useOriginalDst && direction === 'INBOUND')) reject(`${where}.listener_filters`, `${ENVOY_FILTERS.originalSrc} is supported on the inbound capture listener only`);
  type Raw = RawChain & { match: ChainMatch; names: Map<string, string>; chainName?: string; tls?: TlsSocketConfig; at: string };
  const raws: Raw[] = list(l['filter_chains'], `${where}.filter_chains`).map((c, i) => {
    const at = `${where}.filter_chains[${i}]`;
    const chain = fields(c, at, ['filter_chain_match', 'filters', 'metadata', 'transport_socket', 'name']);
    const chainName = optStr(chain['name'], `${at}.name`);
    const { rest, transport } = splitTransportMatch(chain['filter_chain_match'], `${at}.filter_chain_match`);
    const tls = decodeDownstreamTls(chain['transport_socket'], `${at}.transport_socket`, secrets);
    checkChainTransport(transport, tls, at);
    return { ...chainFilters(chain['filters'], `${at}.filters`, routes), match: decodeFilterChainMatch(rest, `${at}.filter_chain_match`), names: policiesOf(chain['metadata'], `${at}.metadata`), chainName, tls, at };
  });
  if (raws.length === 0) reject(`${where}.filter_chains`, 'at least one filter chain is needed');
  const first = raws[0]!;
  const tlsRaws = raws.filter((r) => r.tls);
  const plainRaws = raws.filter((r) => !r.tls);
  if (tlsRaws.length > 0 && (direction !== 'INBOUND' || useOriginalDst)) reject(`${tlsRaws[0]!.at}.transport_socket`, 'meshcap dp terminates TLS on inbound listeners (not capture listeners) only');
  if (tlsRaws.length > 0 && plainRaws.length > 0 && !lf.tlsInspector) reject(`${where}.listener_filters`, `TLS and plaintext filter chains need ${ENVOY_FILTERS.tlsInspector}`);
  const side = (list: Raw[]): void => {
    const keys = new Set<string>();
    list.forEach((r) => {
      if (r.protocol !== first.protocol) reject(`${r.at}.filters`, 'every filter chain of a listener must speak the same protocol in meshcap dp');
      if (r.cluster !== first.cluster) reject(`${r.at}.filters`, `every filter chain of a listener must use the same cluster in meshcap dp ("${first.cluster}", here "${r.cluster}")`);
      if (JSON.stringify(r.routes?.routes) !== JSON.stringify(first.routes?.routes) || JSON.stringify(r.tcpRoute) !== JSON.stringify(first.tcpRoute)) reject(`${r.at}.filters`, 'every filter chain of a listener must use the same routes in meshcap dp');
      if (r.httpStatPrefix !== first.httpStatPrefix) reject(`${r.at}.filters`, 'every filter chain of a listener must use the same stat_prefix in meshcap dp');
      if (r.codec !== first.codec || JSON.stringify(r.http2) !== JSON.stringify(first.http2)) reject(`${r.at}.filters`, 'every filter chain of a listener must use the same codec_type and http2_protocol_options in meshcap dp');
      if (r.tls) sameTls(list[0]!.tls!, r.tls, r.at);
      if (keys.has(r.match.key)) reject(`${r.at}.filter_chain_match`, 'matches the same connections as an earlier chain');
      keys.add(r.match.key);
    });
    // Envoy closes a connection no chain matches; meshcap dp would relay it, so a catch-all chain is required.
    if (list.length > 0 && !keys.has('{}')) reject(`${where}.filter_chains`, `a ${list[0]!.tls ? 'TLS ' : ''}filter chain without filter_chain_match (for every other connection) is required`);
  };
  side(plainRaws);
  side(tlsRaws);
  const decodeChains = (list: Raw[]): DecodedChain[] => list.map((r) => ({ match: r.match, confs: credited(r.confs, r.names, r.chainName ?? name, connectTimeoutOf(r.cluster)) }));
  const chains = decodeChains(plainRaws);
  const tlsChains = decodeChains(tlsRaws);
  return {
    name,
    direction: direction === 'INBOUND' ? 'inbound' : 'outbound',
    address,
    port,
    bind: l['bind_to_port'] === undefined ? true : bool(l['bind_to_port'], `${where}.bind_to_port`),
    useOriginalDst,
    transparent: l['transparent'] === undefined ? false : bool(l['transparent'], `${where}.transparent`),
    originalSource: lf.originalSource,
    protocol: first.protocol,
    cluster: first.cluster,
    httpStatPrefix: first.httpStatPrefix,
    ...(first.routes ? { httpRoutes: { ...first.routes, policy: first.names.get('MeshHTTPRoute') } } : {}),
    ...(first.tcpRoute ? { tcpRoute: { ...first.tcpRoute, policy: first.names.get('MeshTCPRoute') } } : {}),
    ...(first.codec ? { codec: first.codec } : {}),
    ...(first.http2 ? { http2: first.http2 } : {}),
    tags: tagsOf(l['metadata'], `${where}.metadata`),
    chains,
    selector: new FilterChainSelector(chains.map((c) => c.match)),
    mtls: tlsRaws.length > 0 ? { tls: tlsRaws[0]!.tls!, chains: tlsChains, selector: new FilterChainSelector(tlsChains.map((c) => c.match)) } : undefined,
    tlsInspector: lf.tlsInspector,
  };
}
