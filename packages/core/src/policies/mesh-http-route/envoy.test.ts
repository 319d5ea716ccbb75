import { describe, expect, it } from 'vitest';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { assertEnvoyJson } from '../../xds/envoy-proto-check.ts';
import type { EnvoyMessage } from '../../xds/envoy-json.ts';
import { configDumpOf, xdsResourcesOf } from '../../xds/provider.ts';
import { engineConfigFromXds } from '../../proxy/xds-config/engine-config.ts';
import { dataplaneYaml, resourcesYaml } from '../../testing.ts';

// The Envoy resources MeshHTTPRoute, MeshTCPRoute and MeshLoadBalancingStrategy render to: strictly
// valid against Envoy's protos, in Kuma's shape, and read back by meshcap dp's decoder.

const MESH = resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: '198.18.0.1',
    inbound: [{ port: 8080, servicePort: 80, service: 'web', protocol: 'http' }],
    outbound: [
      { port: 10001, service: 'backend' },
      { port: 10002, service: 'db' },
    ],
  }),
  dataplaneYaml({ mesh: 'default', name: 'backend-1', address: '198.18.0.2', inbound: [{ port: 8080, service: 'backend', protocol: 'http', tags: { version: 'v1' } }] }),
  dataplaneYaml({ mesh: 'default', name: 'backend-2', address: '198.18.0.3', inbound: [{ port: 8080, service: 'backend', protocol: 'http', tags: { version: 'v2' } }] }),
  dataplaneYaml({ mesh: 'default', name: 'db-1', address: '198.18.0.4', inbound: [{ port: 5432, service: 'db', tags: { role: 'primary' } }] }),
  dataplaneYaml({ mesh: 'default', name: 'db-2', address: '198.18.0.5', inbound: [{ port: 5432, service: 'db', tags: { role: 'replica' } }] }),
);

const POLICIES = `
type: MeshHTTPRoute
name: split
mesh: default
spec:
  targetRef: { kind: MeshService, name: web }
  to:
    - targetRef: { kind: MeshService, name: backend }
      rules:
        - matches: [{ path: { type: PathPrefix, value: /api/ } }]
          default:
            filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-a, value: "1" }], remove: [x-b] } }]
            backendRefs:
              - { kind: MeshServiceSubset, name: backend, tags: { version: v1 }, weight: 90 }
              - { kind: MeshServiceSubset, name: backend, tags: { version: v2 }, weight: 10 }
        - matches: [{ path: { type: Exact, value: /api/health } }, { path: { type: RegularExpression, value: "/r/.*" }, method: GET }]
          default: { filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: /health } } }] }
---
type: MeshTCPRoute
name: db-split
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: db }
      rules:
        - default:
            backendRefs:
              - { kind: MeshServiceSubset, name: db, tags: { role: primary }, weight: 3 }
              - { kind: MeshServiceSubset, name: db, tags: { role: replica }, weight: 1 }
---
type: MeshLoadBalancingStrategy
name: lb
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default: { loadBalancer: { type: RingHash, ringHash: { minRingSize: 64, hashFunction: MurmurHash2, hashPolicies: [{ type: Header, header: { name: x-user } }] } } }
    - targetRef: { kind: MeshService, name: db }
      default: { loadBalancer: { type: LeastRequest, leastRequest: { choiceCount: 3 } } }
`;

function compiled() {
  const pc = new PolicyCompiler();
  pc.applyAll(parseResources(MESH + '---' + POLICIES));
  return pc.compile('default', 'web');
}

const unpack = (r: unknown): EnvoyMessage => r as EnvoyMessage;

describe('route and load-balancing rendering', () => {
  it('the config dump is valid against Envoy’s protos', async () => {
    await assertEnvoyJson(configDumpOf(compiled()));
    await assertEnvoyJson(configDumpOf(compiled(), { routes: 'rds', endpoints: 'eds' }));
  });

  it('MeshHTTPRoute: routes by precedence with the catch-all last; weighted subset clusters; header edits and rewrites', () => {
    const set = xdsResourcesOf(compiled(), { routes: 'rds' });
    const rc = set.routes.map(unpack).find((r) => r['name'] === 'outbound:127.0.0.1:10001')!;
    const routes = (rc['virtual_hosts'] as EnvoyMessage[])[0]!['routes'] as EnvoyMessage[];
    expect(routes.map((r) => r['match'])).toEqual([
      { path: '/api/health' },
      { path_separated_prefix: '/api' },
      { safe_regex: { regex: '/r/.*' }, headers: [{ name: ':method', string_match: { exact: 'GET' } }] },
      { prefix: '/' },
    ]);
    expect(routes[1]).toMatchObject({
      route: { weighted_clusters: { clusters: [{ name: 'backend_version-v1', weight: 90 }, { name: 'backend_version-v2', weight: 10 }] }, hash_policy: [{ header: { header_name: 'x-user' } }] },
      request_headers_to_add: [{ header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
      request_headers_to_remove: ['x-b'],
    });
    expect(routes[0]).toMatchObject({ route: { cluster: 'backend', regex_rewrite: { pattern: { regex: '^.*$' }, substitution: '/health' } } });
    expect(routes[3]).toMatchObject({ route: { cluster: 'backend' } });
    const clusters = new Map(set.clusters.map((c) => [c['name'] as string, unpack(c)]));
    expect(clusters.get('backend')).toMatchObject({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '64', hash_function: 'MURMUR_HASH_2' } });
    expect(clusters.get('backend_version-v1')).toMatchObject({ type: 'EDS', lb_policy: 'RING_HASH' });
    const cla = set.endpoints.map(unpack).find((e) => e['cluster_name'] === 'backend_version-v2')!;
    expect(JSON.stringify(cla)).toContain('198.18.0.3');
    expect(JSON.stringify(cla)).not.toContain('198.18.0.2');
  });

  it('MeshTCPRoute: tcp_proxy weighted_clusters over the subsets; LeastRequest on the cluster', () => {
    const set = xdsResourcesOf(compiled());
    const listener = set.listeners.map(unpack).find((l) => l['name'] === 'outbound:127.0.0.1:10002')!;
    const tcp = JSON.stringify(listener);
    expect(tcp).toContain('"weighted_clusters":{"clusters":[{"name":"db_role-primary","weight":3},{"name":"db_role-replica","weight":1}]}');
    const db = set.clusters.map(unpack).find((c) => c['name'] === 'db')!;
    expect(db).toMatchObject({ lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: 3 } });
  });

  it('meshcap dp reads it all back: routes, split, balancers', () => {
    const { config } = engineConfigFromXds(xdsResourcesOf(compiled()));
    const backend = config.listeners.find((l) => l.name === 'outbound:127.0.0.1:10001')!;
    expect(backend.httpRoutes?.routes).toHaveLength(4);
    expect(backend.httpRoutes?.policy).toBe('split');
    expect(backend.httpRoutes?.hashPolicy).toEqual([{ kind: 'header', name: 'x-user', terminal: false }]);
    const db = config.listeners.find((l) => l.name === 'outbound:127.0.0.1:10002')!;
    expect(db.tcpRoute).toEqual({ clusters: [{ name: 'db_role-primary', weight: 3 }, { name: 'db_role-replica', weight: 1 }], policy: 'db-split' });
    expect(config.clusters.find((c) => c.name === 'db')!.loadBalancer).toEqual({ policy: 'least_request', choiceCount: 3 });
    expect(config.clusters.find((c) => c.name === 'backend')!.loadBalancer).toEqual({ policy: 'ring_hash', minRingSize: 64 });
  });

  it('routes that name a cluster meshcap dp was not sent are refused (NACK) with the field', () => {
    const set = xdsResourcesOf(compiled());
    const clusters = set.clusters.filter((c) => c['name'] !== 'backend_version-v2');
    expect(() => engineConfigFromXds({ ...set, clusters })).toThrow(/routes to cluster "backend_version-v2", which was not received/);
  });
});
