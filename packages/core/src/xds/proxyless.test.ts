import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVOY_TYPES, typeUrl, type EnvoyMessage } from './envoy-json.ts';
import { loadProtoJsonCodec, type EnvoyProtoJsonCodec } from './proto-json.ts';
import { inboundPoliciesFrom, proxylessResourcesOf } from './proxyless.ts';
import type { XdsResourceSet } from './resource-set.ts';
import { expectEnvoyValid, meshWith } from './test-fixtures.ts';
import { dataplaneYaml, resourcesYaml } from '../testing.ts';

type Obj = Record<string, unknown>;

// A proxyless client `web` calls `backend` (two dataplanes) and `cache` (no endpoint yet).
const MESH = resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: '198.18.0.5',
    inbound: [{ port: 8080, service: 'web', protocol: 'grpc' }],
    outbound: [
      { port: 10001, service: 'backend' },
      { port: 10002, service: 'cache' },
    ],
  }),
  dataplaneYaml({ mesh: 'default', name: 'backend-1', address: '198.18.0.10', inbound: [{ port: 50051, service: 'backend', protocol: 'grpc' }] }),
  dataplaneYaml({ mesh: 'default', name: 'backend-2', address: '198.18.0.11', inbound: [{ port: 50051, service: 'backend', protocol: 'grpc' }] }),
  dataplaneYaml({ mesh: 'default', name: 'admin', address: '198.18.0.7', inbound: [{ port: 8080, service: 'admin' }], outbound: [{ port: 10001, service: 'backend' }] }),
);

const POLICIES = `
type: MeshRetry
name: retry-backend
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default:
        http: { numRetries: 9 }
        grpc: { numRetries: 3, perTryTimeout: 1s, retryOn: [Unavailable, ResourceExhausted], backOff: { baseInterval: 10ms, maxInterval: 100ms } }
---
type: MeshTimeout
name: timeout-backend
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: backend }, default: { connectionTimeout: 2s, http: { requestTimeout: 5s, maxStreamDuration: 3s } } }]
---
type: MeshFaultInjection
name: fault-backend
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - targetRef: { kind: MeshService, name: web }
      default:
        http:
          - { abort: { httpStatus: 503, percentage: 100 } }
          - { delay: { value: 50ms, percentage: 25.5 } }
          - { responseBandwidth: { limit: 1Mbps, percentage: 100 } }
`;

/** gRPC's own parsers of the four resource types (what a grpc-js client runs on what we send it). */
const requireXds = createRequire(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds'));
interface GrpcResourceType {
  decode(context: unknown, resource: { type_url: string; value: Uint8Array }): { name: string; value?: unknown; error?: string };
}
function grpcType(module: string, name: string): GrpcResourceType {
  return (requireXds(`./xds-resource-type/${module}`) as Record<string, { get(): GrpcResourceType }>)[name]!.get();
}
const GRPC_TYPES = {
  listeners: () => grpcType('listener-resource-type', 'ListenerResourceType'),
  routes: () => grpcType('route-config-resource-type', 'RouteConfigurationResourceType'),
  clusters: () => grpcType('cluster-resource-type', 'ClusterResourceType'),
  endpoints: () => grpcType('endpoint-resource-type', 'EndpointResourceType'),
};
const GRPC_CONTEXT = { server: { serverUri: 'localhost:5678', channelCredentials: { type: 'insecure' }, serverFeatures: ['xds_v3'] }, bootstrap: {} };

let codec: EnvoyProtoJsonCodec;
beforeAll(async () => {
  // The client's HTTP filters (router, fault) are known to its parsers once it is registered, as a client does.
  (requireXds('./index.js') as { register(): void }).register();
  codec = await loadProtoJsonCodec();
});

async function expectGrpcAccepts(set: XdsResourceSet): Promise<Map<string, unknown>> {
  const parsed = new Map<string, unknown>();
  for (const [kind, type] of Object.entries(GRPC_TYPES) as Array<[keyof XdsResourceSet, () => GrpcResourceType]>) {
    for (const resource of set[kind] ?? []) {
      await expectEnvoyValid(resource, 'google.protobuf.Any');
      const result = type().decode(GRPC_CONTEXT, codec.encodeAny(resource));
      expect(result.error, `${kind} ${result.name}`).toBeUndefined();
      parsed.set(`${kind}/${result.name}`, result.value);
    }
  }
  return parsed;
}

function hcmOf(listener: EnvoyMessage): Obj {
  return (listener['api_listener'] as Obj)['api_listener'] as Obj;
}

describe('proxylessResourcesOf: what a proxyless gRPC client is served', () => {
  it('per outbound service: Listener named by the service (xds:///backend), its RDS route, EDS cluster and endpoints; gRPC accepts every one', async () => {
    const pc = meshWith(MESH);
    const set = proxylessResourcesOf(pc.compile('default', 'web'), inboundPoliciesFrom((m, d) => pc.compile(m, d), 'default'));
    expect(set.listeners.map((l) => l['name'])).toEqual(['backend', 'cache']);
    expect(set.routes.map((r) => r['name'])).toEqual(['proxyless:backend', 'proxyless:cache']);
    expect(set.clusters.map((c) => c['name'])).toEqual(['proxyless:backend', 'proxyless:cache']);
    expect(set.endpoints.map((e) => e['cluster_name'])).toEqual(['proxyless:backend', 'proxyless:cache']);

    const backend = set.listeners[0]!;
    expect(hcmOf(backend)).toEqual({
      '@type': typeUrl(ENVOY_TYPES.httpConnectionManager),
      stat_prefix: 'backend',
      rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'proxyless:backend' },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': typeUrl(ENVOY_TYPES.router) } }],
    });
    expect(set.routes[0]).toEqual({
      '@type': typeUrl(ENVOY_TYPES.routeConfiguration),
      name: 'proxyless:backend',
      virtual_hosts: [{ name: 'backend', domains: ['backend'], routes: [{ match: { prefix: '/' }, route: { cluster: 'proxyless:backend' } }] }],
    });
    expect(set.clusters[0]).toEqual({
      '@type': typeUrl(ENVOY_TYPES.cluster),
      name: 'proxyless:backend',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    });
    expect(set.endpoints[0]!['endpoints']).toEqual([
      {
        locality: {},
        load_balancing_weight: 1,
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '198.18.0.10', port_value: 50051 } } } },
          { endpoint: { address: { socket_address: { address: '198.18.0.11', port_value: 50051 } } } },
        ],
      },
    ]);
    // A service with no endpoint has an empty assignment, which gRPC takes as "no backends yet".
    expect(set.endpoints[1]).toEqual({ '@type': typeUrl(ENVOY_TYPES.clusterLoadAssignment), cluster_name: 'proxyless:cache' });

    const parsed = await expectGrpcAccepts(set);
    expect(parsed.get('clusters/proxyless:backend')).toMatchObject({ type: 'EDS', name: 'proxyless:backend' });
  });

  it('MeshRetry (grpc section), MeshTimeout and the service\'s MeshFaultInjection for this client, as gRPC reads them', async () => {
    const pc = meshWith(`${MESH}---${POLICIES}`);
    const inboundOf = inboundPoliciesFrom((m, d) => pc.compile(m, d), 'default');
    const set = proxylessResourcesOf(pc.compile('default', 'web'), inboundOf);

    const route = ((((set.routes[0]!['virtual_hosts'] as Obj[])[0]!['routes'] as Obj[])[0]!) as Obj)['route'] as Obj;
    expect(route).toEqual({
      cluster: 'proxyless:backend',
      // Only the grpc section counts; gRPC has no per-try timeout, so perTryTimeout is not sent.
      retry_policy: { retry_on: 'unavailable,resource-exhausted', num_retries: 3, retry_back_off: { base_interval: '0.010s', max_interval: '0.100s' } },
      // The smaller of requestTimeout and maxStreamDuration; gRPC ignores the route `timeout`.
      max_stream_duration: { max_stream_duration: '3s' },
    });

    const hcm = hcmOf(set.listeners[0]!);
    const filters = hcm['http_filters'] as Obj[];
    // Abort then delay, names made unique (gRPC NACKs repeats); no response rate limit (gRPC has none); router last.
    expect(filters.map((f) => f['name'])).toEqual(['envoy.filters.http.fault', 'envoy.filters.http.fault.2', 'envoy.filters.http.router']);
    expect((filters[0]!['typed_config'] as Obj)['abort']).toEqual({ http_status: 503, percentage: { numerator: 100 } });
    expect((filters[1]!['typed_config'] as Obj)['delay']).toEqual({ fixed_delay: '0.050s', percentage: { numerator: 2550, denominator: 'TEN_THOUSAND' } });
    // The route is named after the filters (a filter change is a route change, which grpc-js applies at once).
    const routeName = (hcm['rds'] as Obj)['route_config_name'] as string;
    expect(routeName).toMatch(/^proxyless:backend:[0-9a-f]{12}$/);
    expect(set.routes[0]!['name']).toBe(routeName);
    const pc403 = meshWith(`${MESH}---${POLICIES.replace('httpStatus: 503', 'httpStatus: 403')}`);
    const other = proxylessResourcesOf(pc403.compile('default', 'web'), inboundPoliciesFrom((m, d) => pc403.compile(m, d), 'default'));
    expect(other.routes[0]!['name']).not.toBe(routeName);
    // cache has none of backend's policies.
    expect(hcmOf(set.listeners[1]!)['http_filters']).toHaveLength(1);
    expect(set.routes[1]!['name']).toBe('proxyless:cache');

    const parsed = await expectGrpcAccepts(set);
    expect(parsed.get(`routes/${routeName}`)).toMatchObject({
      virtual_hosts: [{ routes: [{ route: { retry_policy: { retry_on: 'unavailable,resource-exhausted', num_retries: { value: 3 } }, max_stream_duration: { max_stream_duration: { seconds: '3' } } } }] }],
    });

    // The fault is the backend's `from` rule for web: admin, another client, gets none.
    const admin = proxylessResourcesOf(pc.compile('default', 'admin'), inboundOf);
    expect(hcmOf(admin.listeners[0]!)['http_filters']).toHaveLength(1);
    // Without the services' inbound policies no faults are rendered.
    expect(hcmOf(proxylessResourcesOf(pc.compile('default', 'web')).listeners[0]!)['http_filters']).toHaveLength(1);
  });

  it('a MeshCircuitBreaker gives the cluster its max_requests, the one limit gRPC enforces', async () => {
    const pc = meshWith(`${MESH}---
type: MeshCircuitBreaker
name: cb-backend
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: backend }, default: { connectionLimits: { maxConnections: 2, maxRequests: 7 } } }]
`);
    const set = proxylessResourcesOf(pc.compile('default', 'web'));
    expect(set.clusters[0]!['circuit_breakers']).toEqual({ thresholds: [{ max_requests: 7 }] });
    await expectGrpcAccepts(set);
  });
});
