import { createHash } from 'node:crypto';
import { durationToMs, type MeshFaultInjectionConf, type MeshTimeoutConf } from '../model/index.ts';
import type { DataplanePolicies, Endpoint, IdentityTags, InboundPolicies, OutboundPolicies } from '../policy/index.ts';
import { sourceRuleFor } from '../policy/index.ts';
import { compact, durationFromMs, ENVOY_FILTERS, ENVOY_TYPES, packAny, socketAddress, statPrefix, typedExtension, type EnvoyMessage } from './envoy-json.ts';
import { faultFilters } from '../policies/mesh-fault-injection/envoy.ts';
import { grpcRetryPolicy } from '../policies/mesh-retry/envoy.ts';
import type { XdsResourceSet } from './resource-set.ts';
import { ADS_CONFIG_SOURCE } from './resources.ts';

/**
 * The xDS resources a proxyless gRPC client (`@grpc/grpc-js-xds`, grpc-go, grpc-java) needs to call
 * the services its Dataplane declares as outbounds, without a sidecar: per service, the Listener that
 * `xds:///<service>` asks for (gRPC's default `client_default_listener_resource_name_template` is
 * `%s`, so the Listener is named by the service), with an `api_listener` HttpConnectionManager; its
 * RouteConfiguration; an EDS Cluster; and its ClusterLoadAssignment. gRPC applies the fault filter,
 * the route retry policy and the stream duration itself (gRFCs A31, A33, A44) and silently ignores
 * most other fields, so only what it reads is rendered: a field it ignores would make the resources
 * claim a behaviour the client does not have.
 */

/** The node metadata key and value by which a proxyless client says what it is (the ADS server serves it these resources). */
export const PROXY_TYPE_METADATA = 'dataplane.proxyType';
export const PROXYLESS_PROXY_TYPE = 'proxyless';

/** Route configurations, clusters and load assignments of proxyless clients: named apart from a sidecar's `<service>` cluster. */
export const PROXYLESS_RESOURCE_PREFIX = 'proxyless:';

export function proxylessResourceName(service: string): string {
  return `${PROXYLESS_RESOURCE_PREFIX}${service}`;
}

/**
 * The inbound of `endpoint` (a dataplane of the service), for the policies the service applies to
 * its clients (`from` sections: MeshFaultInjection). Undefined when it is not known.
 */
export type InboundPoliciesOf = (endpoint: Endpoint) => InboundPolicies | undefined;

/** An InboundPoliciesOf over a mesh's compiled configs (a PolicyCompiler's `compile`). */
export function inboundPoliciesFrom(compile: (mesh: string, dataplane: string) => DataplanePolicies, mesh: string): InboundPoliciesOf {
  return (endpoint) => {
    let server: DataplanePolicies;
    try {
      server = compile(mesh, endpoint.dataplane);
    } catch {
      // The endpoint's dataplane went away between the two compilations: it has no policies to give.
      return undefined;
    }
    return server.inbounds.find((ib) => ib.address === endpoint.address && ib.port === endpoint.port);
  };
}

/** What this client is to a server's `from` rules: the tags of its own inbounds. */
function identityTagsOf(client: DataplanePolicies): IdentityTags {
  const tags: Record<string, string[]> = {};
  for (const ib of client.resource.networking.inbound ?? []) {
    for (const [k, v] of Object.entries(ib.tags)) {
      const values = (tags[k] ??= []);
      if (!values.includes(v)) values.push(v);
    }
  }
  return tags;
}

/**
 * Aborts and delays only: gRPC has no response rate limit (A33), so a `responseBandwidth` fault
 * is left out rather than sent and ignored. gRPC maps `http_status` to a gRPC status as A33 says
 * (503 → UNAVAILABLE, 403 → PERMISSION_DENIED, …).
 */
function grpcFaults(conf: MeshFaultInjectionConf): MeshFaultInjectionConf {
  return { http: (conf.http ?? []).filter((f) => f.abort || f.delay).map((f) => ({ abort: f.abort, delay: f.delay })) };
}

/**
 * The fault filters the service's inbound would apply to this client. A sidecar applies them at the
 * server; a proxyless client calls the server directly, so the client applies them. The service's
 * first endpoint decides: the endpoints of one service are meant to share their `from` policies.
 */
function clientFaultFilters(out: OutboundPolicies, tags: IdentityTags, inboundOf: InboundPoliciesOf | undefined): EnvoyMessage[] {
  const first = out.endpoints[0];
  const policy = first && inboundOf?.(first)?.policies.MeshFaultInjection;
  const rule = policy ? sourceRuleFor(policy, tags) : undefined;
  // gRPC NACKs a filter list with a repeated name; the 2nd, 3rd… get a suffix.
  return rule ? faultFilters(grpcFaults(rule.conf)).map((f, i) => (i === 0 ? f : { ...f, name: `${String(f['name'])}.${i + 1}` })) : [];
}

/**
 * `proxyless:<service>`, and with HTTP filters before the router `proxyless:<service>:<digest of
 * them>`. grpc-js (1.14) takes a Listener update whose route name did not change without applying
 * its filters until some later route or cluster update, so a new or changed fault would wait;
 * with the name following the filters, a filter change is a new route name, which grpc-js
 * subscribes to and applies with the new filters at once.
 */
function routeName(service: string, filters: EnvoyMessage[]): string {
  if (filters.length === 0) return proxylessResourceName(service);
  return `${proxylessResourceName(service)}:${createHash('sha256').update(JSON.stringify(filters)).digest('hex').slice(0, 12)}`;
}

function listener(out: OutboundPolicies, faults: EnvoyMessage[], route: string): EnvoyMessage {
  const hcm = {
    // gRPC keeps no stats by prefix, but Envoy's schema requires one.
    stat_prefix: statPrefix(out.service),
    rds: { config_source: ADS_CONFIG_SOURCE, route_config_name: route },
    // gRPC requires the router last, and nothing after it.
    http_filters: [...faults, typedExtension(ENVOY_FILTERS.router, ENVOY_TYPES.router)],
  };
  return packAny(ENVOY_TYPES.listener, { name: out.service, api_listener: { api_listener: packAny(ENVOY_TYPES.httpConnectionManager, hcm) } });
}

/**
 * gRPC reads neither the route `timeout` nor `idle_timeout`, only `max_stream_duration` (A31): the
 * cap on a call's deadline. A sidecar would cut a call at the first of `requestTimeout` and
 * `maxStreamDuration`, so the cap is the smaller of the two that are set and not zero.
 */
function maxStreamDuration(conf: MeshTimeoutConf | undefined): EnvoyMessage | undefined {
  const limits = [conf?.http?.requestTimeout, conf?.http?.maxStreamDuration]
    .filter((d): d is string => d !== undefined)
    .map(durationToMs)
    .filter((ms) => ms > 0);
  return limits.length > 0 ? { max_stream_duration: durationFromMs(Math.min(...limits)) } : undefined;
}

function routeConfiguration(out: OutboundPolicies, name: string): EnvoyMessage {
  const retry = out.policies.MeshRetry?.conf;
  const action = compact({
    cluster: proxylessResourceName(out.service),
    retry_policy: retry ? grpcRetryPolicy(retry) : undefined,
    max_stream_duration: maxStreamDuration(out.policies.MeshTimeout?.conf),
  });
  return packAny(ENVOY_TYPES.routeConfiguration, {
    name,
    // gRPC matches the virtual host on the target's authority: `backend` for `xds:///backend`.
    virtual_hosts: [{ name: out.service, domains: [out.service], routes: [{ match: { prefix: '/' }, route: action }] }],
  });
}

function cluster(out: OutboundPolicies): EnvoyMessage {
  // Of the circuit breaker's limits gRPC enforces max_requests only (A32).
  const maxRequests = out.policies.MeshCircuitBreaker?.conf?.connectionLimits?.maxRequests;
  return packAny(
    ENVOY_TYPES.cluster,
    compact({
      name: proxylessResourceName(out.service),
      type: 'EDS',
      eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE },
      circuit_breakers: maxRequests === undefined ? undefined : { thresholds: [{ max_requests: maxRequests }] },
    }),
  );
}

function loadAssignment(out: OutboundPolicies): EnvoyMessage {
  return packAny(
    ENVOY_TYPES.clusterLoadAssignment,
    compact({
      cluster_name: proxylessResourceName(out.service),
      // gRPC refuses endpoints without a locality and skips localities without a weight.
      endpoints:
        out.endpoints.length > 0
          ? [{ locality: {}, lb_endpoints: out.endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })), load_balancing_weight: 1 }]
          : undefined,
    }),
  );
}

/**
 * Per outbound service of the dataplane: Listener `<service>`, RouteConfiguration
 * `proxyless:<service>[:<filters digest>]`, EDS Cluster and ClusterLoadAssignment `proxyless:<service>`. `inboundOf` gives the services' inbound policies, for
 * the MeshFaultInjection they apply to this client; without it no faults are rendered.
 */
export function proxylessResourcesOf(policies: DataplanePolicies, inboundOf?: InboundPoliciesOf): XdsResourceSet {
  const tags = identityTagsOf(policies);
  const set: XdsResourceSet = { listeners: [], routes: [], clusters: [], endpoints: [] };
  const seen = new Set<string>();
  for (const out of policies.outbounds) {
    if (seen.has(out.service)) continue;
    seen.add(out.service);
    const faults = clientFaultFilters(out, tags, inboundOf);
    const route = routeName(out.service, faults);
    set.listeners.push(listener(out, faults, route));
    set.routes.push(routeConfiguration(out, route));
    set.clusters.push(cluster(out));
    set.endpoints.push(loadAssignment(out));
  }
  return set;
}
