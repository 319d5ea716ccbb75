import { isIP } from 'node:net';
import {
  compact,
  duration,
  ENVOY_FILTERS,
  hostCidr,
  ENVOY_TYPES,
  packAny,
  socketAddress,
  socketAddressOf,
  typedExtension,
  type EnvoyMessage,
} from './envoy-json.ts';
import { dnsListener } from '../dns/envoy.ts';
import type { DataplanePolicies } from '../policy/index.ts';
import type { XdsCluster, XdsListener, XdsProxyConfig } from './input.ts';
import { circuitBreakers, outlierDetection } from '../policies/mesh-circuit-breaker/envoy.ts';
import { healthChecks } from '../policies/mesh-health-check/envoy.ts';
import { faultFilters } from '../policies/mesh-fault-injection/envoy.ts';
import { httpRbacFilter, networkRbacFilter } from '../policies/mesh-traffic-permission/envoy.ts';
import { httpLocalRateLimitFilter, networkLocalRateLimitFilter } from '../policies/mesh-rate-limit/envoy.ts';
import { grpcRetryPolicy, retryPolicy } from '../policies/mesh-retry/envoy.ts';
import { commonHttpProtocolOptions } from '../policies/mesh-timeout/envoy.ts';
import { accessLogs, type AccessLogContext } from '../policies/mesh-access-log/envoy.ts';
import { backendClusterName, httpRoutes, routeAction, routeBackends, routeTarget } from '../policies/mesh-http-route/envoy.ts';
import { clusterLoadBalancing, routeHashPolicy, tcpHashPolicy } from '../policies/mesh-load-balancing-strategy/envoy.ts';
import { listenerPolicies, NO_POLICIES, outboundPolicies, passthroughPolicies, type ListenerPolicies } from './policy-input.ts';
import { downstreamTlsSocket, MATCH_MTLS, MATCH_PLAINTEXT, TLS_INSPECTOR, upstreamTlsSocket, type MtlsRendering } from '../mtls/envoy.ts';
import { mtlsChainPolicies } from '../mtls/permissions.ts';

/** Listeners, clusters and route configurations of one dataplane, as Kuma generates them for Envoy. */

export interface ResourceContext {
  mesh: string;
  /** The dataplane's own service (its first inbound's), for access-log placeholders. */
  localService?: string;
  routes: 'inline' | 'rds';
  /** Transparent proxying: a service with no known endpoints is reached at the original destination. */
  transparent: boolean;
  tproxyMark?: number;
  defaultConnectTimeout: string;
  /** `static`: a service cluster carries its endpoints (`load_assignment`); `eds`: they are served apart, as ClusterLoadAssignments (Kuma's way). */
  endpoints: 'static' | 'eds';
  /** The mesh's mTLS: inbounds terminate it, clusters to mesh services originate it. */
  mtls?: MtlsRendering;
}

/** Where an Envoy resource served over ADS points for the resources it names (RDS, EDS). */
export const ADS_CONFIG_SOURCE: EnvoyMessage = Object.freeze({ ads: {}, resource_api_version: 'V3' });

export interface BuiltListener {
  listener: EnvoyMessage;
  /** The listener's HTTP route configurations, one per filter chain (inline in the listener, or served separately under `rds`). */
  routeConfigs: EnvoyMessage[];
}

/** Kuma's `io.kuma.tags` listener metadata. */
function tagsMetadata(tags: Readonly<Record<string, string>>): EnvoyMessage | undefined {
  return Object.keys(tags).length > 0 ? { filter_metadata: { 'io.kuma.tags': { ...tags } } } : undefined;
}

function routeConfiguration(l: XdsListener, p: ListenerPolicies, name: string): EnvoyMessage {
  const timeout = p.MeshTimeout?.http;
  const action = compact({
    cluster: l.cluster.name,
    // Envoy's default is 15s; the proxy has no request timeout unless a MeshTimeout sets one, and says so.
    timeout: duration(timeout?.requestTimeout ?? '0s'),
    retry_policy: l.direction === 'outbound' && p.MeshRetry ? (l.appProtocol === 'grpc' ? grpcRetryPolicy(p.MeshRetry) : retryPolicy(p.MeshRetry)) : undefined,
    idle_timeout: timeout?.streamIdleTimeout === undefined ? undefined : duration(timeout.streamIdleTimeout),
  });
  // MeshHTTPRoute: its routes, each carrying the outbound's timeout and retry policy, then the catch-all.
  const { cluster, ...shared } = compact({ ...action, hash_policy: l.direction === 'outbound' ? routeHashPolicy(p.MeshLoadBalancingStrategy) : undefined });
  const routes = l.direction === 'outbound' && p.MeshHTTPRoute ? httpRoutes(p.MeshHTTPRoute, cluster as string, shared) : [{ match: { prefix: '/' }, route: routeAction({ cluster, ...shared }) }];
  return {
    name,
    virtual_hosts: [{ name: l.service ?? l.name, domains: ['*'], routes }],
    // Kuma turns this off: clusters may arrive after the routes that name them.
    validate_clusters: false,
  };
}

function httpConnectionManager(l: XdsListener, p: ListenerPolicies, ctx: ResourceContext, log: AccessLogContext, routeName: string): { filter: EnvoyMessage; route: EnvoyMessage } {
  const routeConfig = routeConfiguration(l, p, routeName);
  // Fixed order, as the proxy runs them: permission, rate limit, faults, then the router.
  const httpFilters = [
    p.MeshTrafficPermission ? httpRbacFilter(p.MeshTrafficPermission, p.identityPolicies) : undefined,
    p.MeshRateLimit ? httpLocalRateLimitFilter(p.MeshRateLimit) : undefined,
    ...(p.MeshFaultInjection ? faultFilters(p.MeshFaultInjection) : []),
    typedExtension(ENVOY_FILTERS.router, ENVOY_TYPES.router),
  ].filter((f): f is EnvoyMessage => f !== undefined);
  const t = p.MeshTimeout?.http;
  const hcm = compact({
    stat_prefix: l.httpStatPrefix,
    rds: ctx.routes === 'rds' ? { config_source: ADS_CONFIG_SOURCE, route_config_name: routeName } : undefined,
    route_config: ctx.routes === 'inline' ? routeConfig : undefined,
    http_filters: httpFilters,
    access_log: accessLogs(p.MeshAccessLog, log),
    stream_idle_timeout: t?.streamIdleTimeout === undefined ? undefined : duration(t.streamIdleTimeout),
    common_http_protocol_options: commonHttpProtocolOptions(p.MeshTimeout),
    request_headers_timeout: t?.requestHeadersTimeout === undefined ? undefined : duration(t.requestHeadersTimeout),
  });
  return { filter: typedExtension(ENVOY_FILTERS.httpConnectionManager, ENVOY_TYPES.httpConnectionManager, hcm), route: routeConfig };
}

function tcpProxy(l: XdsListener, p: ListenerPolicies, log: AccessLogContext): EnvoyMessage {
  const idle = p.MeshTimeout?.idleTimeout;
  const target = l.direction === 'outbound' && p.MeshTCPRoute ? routeTarget(p.MeshTCPRoute.rules[0]?.default.backendRefs, l.cluster.name) : { cluster: l.cluster.name };
  return typedExtension(
    ENVOY_FILTERS.tcpProxy,
    ENVOY_TYPES.tcpProxy,
    compact({
      stat_prefix: l.cluster.statName,
      // MeshTCPRoute: the connections split over its backends by weight (weighted_clusters is field 10, after idle_timeout).
      cluster: target['cluster'],
      access_log: accessLogs(p.MeshAccessLog, log),
      max_connect_attempts: l.direction === 'outbound' ? p.MeshRetry?.tcp?.maxConnectAttempt : undefined,
      idle_timeout: idle === undefined ? undefined : duration(idle),
      weighted_clusters: target['weighted_clusters'],
      hash_policy: l.direction === 'outbound' ? tcpHashPolicy(p.MeshLoadBalancingStrategy) : undefined,
    }),
  );
}

/** Which policies produced a filter chain's settings, for whoever reads the dump (`io.meshcap.policies`). */
function policiesMetadata(p: ListenerPolicies): EnvoyMessage | undefined {
  return p.acting?.length ? { filter_metadata: { [POLICIES_METADATA]: { policies: p.acting.map((a) => ({ type: a.type, name: a.name })) } } } : undefined;
}

export const POLICIES_METADATA = 'io.meshcap.policies';

function chainFilters(l: XdsListener, p: ListenerPolicies, ctx: ResourceContext, log: AccessLogContext, routeName: string): { filters: EnvoyMessage[]; route?: EnvoyMessage } {
  if (l.protocol === 'http' && !l.useOriginalDst) {
    const { filter, route } = httpConnectionManager(l, p, ctx, log, routeName);
    return { filters: [filter], route };
  }
  const filters = [
    p.MeshTrafficPermission ? networkRbacFilter(p.MeshTrafficPermission, l.cluster.statName, p.identityPolicies) : undefined,
    p.MeshRateLimit ? networkLocalRateLimitFilter(p.MeshRateLimit) : undefined,
    tcpProxy(l, p, log),
  ].filter((f): f is EnvoyMessage => f !== undefined);
  return { filters };
}

/**
 * The listener's filter chains: one per client group (matched on the clients' source addresses,
 * as the proxy picks rules by source address), then the default chain for every other client.
 * With client groups every chain is named (`<listener>:clients-<n>`, the default one `<listener>`),
 * and so is its route configuration.
 */
export function buildListener(l: XdsListener, p: ListenerPolicies, ctx: ResourceContext): BuiltListener {
  const log: AccessLogContext = {
    mesh: ctx.mesh,
    direction: l.direction,
    localService: ctx.localService,
    destinationService: l.direction === 'inbound' ? (l.service ?? ctx.localService) : l.service,
    protocol: l.protocol,
  };
  // mTLS on an inbound: the client's identity is its certificate, so the mTLS chain picks policies by
  // identity, never by source address; PERMISSIVE keeps the plaintext chains (address identity) beside it.
  const mtls = l.direction === 'inbound' && !l.useOriginalDst ? ctx.mtls : undefined;
  const plaintext = !mtls || mtls.mode === 'PERMISSIVE';
  const plainMatch = mtls ? MATCH_PLAINTEXT : undefined;
  const groups = plaintext ? (p.clientGroups ?? []) : [];
  const chains: EnvoyMessage[] = [];
  const routeConfigs: EnvoyMessage[] = [];
  groups.forEach((g, i) => {
    const name = `${l.name}:clients-${i + 1}`;
    const { filters, route } = chainFilters(l, g.policies, ctx, log, name);
    chains.push(compact({ filter_chain_match: { source_prefix_ranges: g.addresses.map(hostCidr), ...plainMatch }, filters, metadata: policiesMetadata(g.policies), name }));
    if (route) routeConfigs.push(route);
  });
  // Outbound passthrough: the policies of the service whose endpoint the original destination is.
  const destinations = p.destinationGroups ?? [];
  for (const g of destinations) {
    const name = `${l.name}:${g.service}:${g.port}`;
    const { filters } = chainFilters(l, g.policies, ctx, { ...log, destinationService: g.service }, name);
    chains.push(compact({ filter_chain_match: { prefix_ranges: g.addresses.map(hostCidr), destination_port: g.port }, filters, metadata: policiesMetadata(g.policies), name }));
  }
  if (mtls) {
    const name = plaintext ? `${l.name}:mtls` : l.name;
    const mp = mtlsChainPolicies(p, ctx.mesh);
    const { filters, route } = chainFilters(l, mp, ctx, log, name);
    chains.push(compact({ filter_chain_match: plaintext ? MATCH_MTLS : undefined, filters, metadata: policiesMetadata(mp), transport_socket: downstreamTlsSocket(ctx.mesh), name: plaintext || groups.length > 0 ? name : undefined }));
    if (route) routeConfigs.push(route);
  }
  if (plaintext) {
    const { filters, route } = chainFilters(l, p, ctx, log, l.name);
    chains.push(compact({ filter_chain_match: plainMatch, filters, metadata: policiesMetadata(p), name: groups.length + destinations.length > 0 || mtls ? l.name : undefined }));
    if (route) routeConfigs.push(route);
  }
  const listenerFilters: EnvoyMessage[] = mtls?.mode === 'PERMISSIVE' ? [TLS_INSPECTOR] : [];
  if (l.useOriginalDst) {
    listenerFilters.push(typedExtension(ENVOY_FILTERS.originalDst, ENVOY_TYPES.originalDst));
    // TPROXY inbound: the upstream connection leaves from the client's address (Istio does the same).
    if (l.direction === 'inbound' && l.cluster.transparentSource) {
      listenerFilters.push(typedExtension(ENVOY_FILTERS.originalSrc, ENVOY_TYPES.originalSrc, compact({ mark: ctx.tproxyMark || undefined })));
    }
  }
  const listener = packAny(
    ENVOY_TYPES.listener,
    compact({
      name: l.name,
      address: socketAddress(l.address, l.port),
      filter_chains: chains,
      use_original_dst: l.useOriginalDst || undefined,
      metadata: tagsMetadata(l.tags),
      listener_filters: listenerFilters.length > 0 ? listenerFilters : undefined,
      transparent: l.transparent || undefined,
      traffic_direction: l.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
      bind_to_port: l.bind ? undefined : false,
    }),
  );
  return { listener, routeConfigs: routeConfigs.map((r) => packAny(ENVOY_TYPES.routeConfiguration, r)) };
}

/** Kuma's inbound source address: connections to the application come from here, and capture rules let them pass. */
function inboundSourceAddress(c: XdsCluster): string {
  const v6 = c.name.endsWith(':ipv6') || c.endpoints.some((e) => isIP(e.address) === 6);
  return v6 ? '::6' : '127.0.0.6';
}

/** The endpoints of a cluster (its `load_assignment`, or its ClusterLoadAssignment under EDS). */
export function loadAssignment(c: XdsCluster): EnvoyMessage {
  return compact({
    cluster_name: c.name,
    endpoints:
      c.endpoints.length > 0 ? [{ lb_endpoints: c.endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })) }] : undefined,
  });
}

/**
 * `policies`: the policies of the listener the cluster serves (inbound clusters take the inbound's
 * MeshTimeout/MeshCircuitBreaker `from` conf, service clusters the outbound's `to` conf).
 */
export function buildCluster(c: XdsCluster, p: ListenerPolicies, protocol: 'tcp' | 'http', ctx: ResourceContext): EnvoyMessage {
  // Transparent mode: a service without known endpoints is reached at the original destination (what the client called).
  const originalDst = c.kind === 'original_dst' || (c.kind === 'service' && c.endpoints.length === 0 && ctx.transparent && !c.routeBackend);
  const type = originalDst ? 'ORIGINAL_DST' : c.kind === 'service' && ctx.endpoints === 'eds' ? 'EDS' : 'STATIC';
  const connectTimeout = p.MeshTimeout?.connectionTimeout ?? ctx.defaultConnectTimeout;
  const httpOptions = protocol === 'http' ? commonHttpProtocolOptions(p.MeshTimeout) : undefined;
  // MeshLoadBalancingStrategy; its fields go where Envoy's field numbers put them.
  const lb = c.kind === 'service' && !originalDst ? clusterLoadBalancing(p.MeshLoadBalancingStrategy) : {};
  return packAny(
    ENVOY_TYPES.cluster,
    compact({
      name: c.name,
      type,
      eds_cluster_config: type === 'EDS' ? { eds_config: ADS_CONFIG_SOURCE } : undefined,
      connect_timeout: duration(connectTimeout),
      lb_policy: type === 'ORIGINAL_DST' ? 'CLUSTER_PROVIDED' : lb['lb_policy'],
      // Health checks and outlier detection need a known set of hosts; an ORIGINAL_DST cluster has none.
      health_checks: c.kind === 'service' && !originalDst ? healthChecks(p.MeshHealthCheck, protocol) : undefined,
      circuit_breakers: circuitBreakers(p.MeshCircuitBreaker),
      outlier_detection: c.kind === 'service' && !originalDst ? outlierDetection(p.MeshCircuitBreaker) : undefined,
      upstream_bind_config: c.inboundSource && !c.transparentSource ? { source_address: socketAddressOf(inboundSourceAddress(c), 0) } : undefined,
      ring_hash_lb_config: lb['ring_hash_lb_config'],
      // Kuma names a mesh service's cluster after the service.
      transport_socket: ctx.mtls && c.kind === 'service' ? upstreamTlsSocket(ctx.mesh, c.name) : undefined,
      common_lb_config:
        c.kind === 'service' && !originalDst && p.MeshCircuitBreaker?.outlierDetection?.healthyPanicThreshold !== undefined
          ? { healthy_panic_threshold: { value: p.MeshCircuitBreaker.outlierDetection.healthyPanicThreshold } }
          : undefined,
      alt_stat_name: c.statName !== c.name ? c.statName : undefined,
      load_assignment: type === 'STATIC' ? loadAssignment(c) : undefined,
      // Kuma's http2/grpc services are reached over HTTP/2 with prior knowledge (h2c), whatever the timeouts.
      typed_extension_protocol_options:
        httpOptions || (protocol === 'http' && c.http2)
          ? {
              [ENVOY_FILTERS.httpProtocolOptions]: packAny(
                ENVOY_TYPES.httpProtocolOptions,
                compact({
                  common_http_protocol_options: httpOptions,
                  explicit_http_config: c.http2 ? { http2_protocol_options: http2ProtocolOptions(c.http2) } : { http_protocol_options: {} },
                }),
              ),
            }
          : undefined,
      least_request_lb_config: lb['least_request_lb_config'],
      maglev_lb_config: lb['maglev_lb_config'],
    }),
  );
}

/** Envoy's Http2ProtocolOptions (its UInt32Value fields print as plain numbers in proto3 JSON). */
export function http2ProtocolOptions(o: NonNullable<XdsCluster['http2']>): EnvoyMessage {
  return compact({
    max_concurrent_streams: o.maxConcurrentStreams,
    initial_stream_window_size: o.initialStreamWindowSize,
    initial_connection_window_size: o.initialConnectionWindowSize,
  });
}

/** For each cluster, the listener it serves: its policies and protocol decide the cluster's timeouts and limits. */
function listenerOfCluster(listeners: readonly XdsListener[]): Map<string, XdsListener> {
  const out = new Map<string, XdsListener>();
  for (const l of listeners) if (!out.has(l.cluster.name)) out.set(l.cluster.name, l);
  return out;
}

export interface RenderOptions {
  routes?: 'inline' | 'rds';
  endpoints?: 'static' | 'eds';
  tproxyMark?: number;
  defaultConnectTimeout?: string;
  /** The mesh's mTLS (mode); the secrets themselves come from the control plane's CA. */
  mtls?: MtlsRendering;
}

export interface RenderedDataplane {
  ctx: ResourceContext;
  built: Array<BuiltListener & { name: string }>;
  clusters: EnvoyMessage[];
  /** ClusterLoadAssignments of the EDS clusters (none with `endpoints: 'static'`). */
  endpoints: EnvoyMessage[];
  localService?: string;
}

/**
 * A dataplane's listeners, route configurations, clusters and endpoints as Envoy v3 resources: the
 * one rendering of its proxy config and policies, which both the config dump and the ADS server use.
 */
export function renderDataplane(config: XdsProxyConfig, policies: DataplanePolicies | undefined, options: RenderOptions = {}): RenderedDataplane {
  const byListener = listenerPolicies(policies);
  const policiesOf = (name: string): ListenerPolicies => byListener.get(name) ?? NO_POLICIES;
  const localService = config.listeners.find((l) => l.direction === 'inbound' && l.service)?.service;
  const ctx: ResourceContext = {
    mesh: config.mesh,
    localService,
    routes: options.routes ?? 'inline',
    endpoints: options.endpoints ?? 'static',
    transparent: config.transparent,
    tproxyMark: options.tproxyMark,
    defaultConnectTimeout: options.defaultConnectTimeout ?? '5s',
    // The compiled config says whether the mesh runs mTLS; a caller may render it otherwise (tests, previews).
    mtls: options.mtls ?? (policies?.mtls ? { mesh: config.mesh, mode: policies.mtls.mode } : undefined),
  };
  const listenerPoliciesOf = (l: XdsListener): ListenerPolicies =>
    l.direction === 'outbound' && l.useOriginalDst ? passthroughPolicies(policies, l.address.includes(':') ? 6 : 4) : policiesOf(l.name);
  const built = config.listeners.map((l) => ({ name: l.name, ...buildListener(l, listenerPoliciesOf(l), ctx) }));
  const dns = config.dns ? dnsListener(config.dns) : undefined;
  if (dns) built.push({ name: config.dns!.name, listener: dns, routeConfigs: [] });
  const servedBy = listenerOfCluster(config.listeners);
  const clusters: EnvoyMessage[] = [];
  const endpoints: EnvoyMessage[] = [];
  const add = (c: XdsCluster, p: ListenerPolicies, protocol: 'tcp' | 'http'): void => {
    const cluster = buildCluster(c, p, protocol, ctx);
    clusters.push(cluster);
    if (cluster['type'] === 'EDS') endpoints.push(packAny(ENVOY_TYPES.clusterLoadAssignment, loadAssignment(c)));
  };
  for (const c of config.clusters) {
    const l = servedBy.get(c.name);
    add(c, l ? policiesOf(l.name) : NO_POLICIES, l?.protocol ?? 'tcp');
  }
  for (const r of routeClusters(config, policies, new Set(config.clusters.map((c) => c.name)))) add(r.cluster, r.policies, r.protocol);
  return { ctx, built, clusters, endpoints, localService };
}

/**
 * The clusters MeshHTTPRoute/MeshTCPRoute backends need beyond the dataplane's own: a subset of a
 * service (its endpoints carrying the backendRef's tags), or a service the dataplane has no cluster
 * for. Each takes the `to` policies of its service's outbound (circuit breaker, health check…).
 */
function routeClusters(config: XdsProxyConfig, policies: DataplanePolicies | undefined, have: Set<string>): Array<{ cluster: XdsCluster; policies: ListenerPolicies; protocol: 'tcp' | 'http' }> {
  const out: Array<{ cluster: XdsCluster; policies: ListenerPolicies; protocol: 'tcp' | 'http' }> = [];
  const served = new Set(config.listeners.filter((l) => l.direction === 'outbound').map((l) => l.service));
  for (const ob of policies?.outbounds ?? []) {
    if (!served.has(ob.service)) continue;
    const refs = [ob.policies.MeshHTTPRoute?.conf, ob.policies.MeshTCPRoute?.conf].flatMap((c) => (c ? routeBackends(c) : []));
    for (const ref of refs) {
      const name = backendClusterName(ref);
      if (have.has(name)) continue;
      have.add(name);
      const target = policies!.outbounds.find((o) => o.service === ref.name);
      const all = ob.routeEndpoints?.[ref.name] ?? [];
      const eps = all.filter((e) => Object.entries(ref.tags ?? {}).every(([k, v]) => e.tags[k] === v));
      const protocol = ob.policies.MeshHTTPRoute ? 'http' : 'tcp';
      const h2 = config.clusters.find((c) => c.name === ref.name)?.http2;
      out.push({
        cluster: { name, statName: name.replaceAll(':', '_'), kind: 'service', endpoints: eps.map((e) => ({ address: e.address, port: e.port })), inboundSource: false, transparentSource: false, routeBackend: true, ...(h2 ? { http2: h2 } : {}) },
        policies: target ? outboundPolicies(target) : NO_POLICIES,
        protocol,
      });
    }
  }
  return out;
}
