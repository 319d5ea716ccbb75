import { describe, expect, it } from 'vitest';
import { ENVOY_TYPES } from './envoy-json.ts';
import { proxyConfigOf, xdsResourcesOf } from './provider.ts';
import { expectEnvoyValid, meshWith, SEED } from './test-fixtures.ts';

type Obj = Record<string, unknown>;

describe('xdsResourcesOf: what the ADS server sends a dataplane', () => {
  const policies = meshWith(SEED).compile('default', 'demo-app');

  it('serves mesh services under EDS: an EDS cluster per service, its endpoints in a ClusterLoadAssignment of the same name', async () => {
    const set = xdsResourcesOf(policies);
    const redis = set.clusters.find((c) => c['name'] === 'redis') as Obj;
    expect(redis['type']).toBe('EDS');
    expect(redis['eds_cluster_config']).toEqual({ eds_config: { ads: {}, resource_api_version: 'V3' } });
    expect(redis['load_assignment']).toBeUndefined();
    expect(set.endpoints).toEqual([
      {
        '@type': `type.googleapis.com/${ENVOY_TYPES.clusterLoadAssignment}`,
        cluster_name: 'redis',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '198.18.0.20', port_value: 6379 } } } }] }],
      },
    ]);
    // Local (inbound) and passthrough clusters keep their own endpoints.
    expect(set.clusters.filter((c) => c['type'] === 'EDS').map((c) => c['name'])).toEqual(['redis']);
    for (const l of set.listeners) await expectEnvoyValid(l, 'google.protobuf.Any');
    for (const c of set.clusters) await expectEnvoyValid(c, 'google.protobuf.Any');
    for (const e of set.endpoints) await expectEnvoyValid(e, 'google.protobuf.Any');
  });

  it('the listeners are the config dump\'s (same names, inline routes); with routes "rds" the route configurations are served apart', async () => {
    const inline = xdsResourcesOf(policies);
    // The proxy config's listeners, then the DNS proxy's (`kuma:dns`, a transparent dataplane's).
    expect(inline.listeners.map((l) => l['name'])).toEqual([...proxyConfigOf(policies).listeners.map((l) => l.name), 'kuma:dns']);
    expect(inline.routes).toEqual([]);
    const rds = xdsResourcesOf(policies, { routes: 'rds' });
    const hcm = ((rds.listeners.find((l) => l['name'] === 'inbound:198.18.0.6:5000')!['filter_chains'] as Obj[])[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj;
    expect(hcm['rds']).toEqual({ config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'inbound:198.18.0.6:5000' });
    expect(hcm['route_config']).toBeUndefined();
    expect(rds.routes.map((r) => r['name'])).toEqual(['inbound:198.18.0.6:5000']);
    for (const r of rds.routes) await expectEnvoyValid(r, 'google.protobuf.Any');
  });
});
