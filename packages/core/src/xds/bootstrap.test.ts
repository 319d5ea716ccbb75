import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { envoyBootstrap, grpcBootstrap, parseXdsAddress } from './bootstrap.ts';
import { expectEnvoyValid } from './test-fixtures.ts';

/** gRPC's own bootstrap reader (what a grpc-js client does with GRPC_XDS_BOOTSTRAP_CONFIG). */
const requireXds = createRequire(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds'));
const { validateBootstrapConfig } = requireXds('./xds-bootstrap.js') as { validateBootstrapConfig(obj: unknown): { node: { id: string; metadata?: unknown }; xdsServers: Array<{ server_uri: string }>; clientDefaultListenerResourceNameTemplate: string } };

describe('parseXdsAddress', () => {
  it('reads host:port, [v6]:port and unix:/path; refuses anything else with a coded error', () => {
    expect(parseXdsAddress('127.0.0.1:5678')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5678 });
    expect(parseXdsAddress('[::1]:5678')).toEqual({ kind: 'tcp', host: '::1', port: 5678 });
    expect(parseXdsAddress('cp.internal:5678')).toEqual({ kind: 'tcp', host: 'cp.internal', port: 5678 });
    expect(parseXdsAddress('unix:/run/meshcap/cp.sock')).toEqual({ kind: 'unix', path: '/run/meshcap/cp.sock' });
    for (const bad of ['5678', 'unix:relative.sock', '127.0.0.1:70000', '127.0.0.1:0', 'http://cp:5678']) {
      expect(() => parseXdsAddress(bad), bad).toThrow(expect.objectContaining({ code: 'MESHCAP_ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('grpcBootstrap', () => {
  it('is a bootstrap gRPC reads: the ADS server, node <mesh>.<name> marked proxyless, the token in the node metadata', () => {
    const b = grpcBootstrap({ mesh: 'default', dataplane: 'web', xds: parseXdsAddress('[::1]:5678'), token: 'mcdp_x' });
    expect(b).toEqual({
      xds_servers: [{ server_uri: 'ipv6:[::1]:5678', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'default.web', locality: {}, metadata: { 'dataplane.proxyType': 'proxyless', 'dataplane.token': 'mcdp_x' } },
    });
    const read = validateBootstrapConfig(JSON.parse(JSON.stringify(b)));
    expect(read.node.id).toBe('default.web');
    expect(read.xdsServers.map((s) => s.server_uri)).toEqual(['ipv6:[::1]:5678']);
    // `xds:///backend` asks for Listener "backend": what proxylessResourcesOf names it.
    expect(read.clientDefaultListenerResourceNameTemplate).toBe('%s');
    const unix = grpcBootstrap({ mesh: 'm', dataplane: 'a', xds: parseXdsAddress('unix:/tmp/cp.sock') });
    expect(unix['node']).toEqual({ id: 'm.a', locality: {}, metadata: { 'dataplane.proxyType': 'proxyless' } });
    expect(validateBootstrapConfig(unix).xdsServers[0]!.server_uri).toBe('unix:/tmp/cp.sock');
  });
});

describe('envoyBootstrap', () => {
  it('is a strictly valid Envoy Bootstrap: LDS and CDS from ADS over the static ads_cluster, the token raw in authorization', async () => {
    const b = envoyBootstrap({ mesh: 'default', dataplane: 'web', xds: parseXdsAddress('127.0.0.1:5678'), token: 'mcdp_x' });
    await expectEnvoyValid(b, 'envoy.config.bootstrap.v3.Bootstrap');
    expect(b['node']).toEqual({ id: 'default.web', cluster: 'web', metadata: { 'dataplane.proxyType': 'dataplane' } });
    expect(b['dynamic_resources']).toEqual({
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'ads_cluster' }, initial_metadata: [{ key: 'authorization', value: 'mcdp_x' }] }], transport_api_version: 'V3' },
    });
    const cluster = (b['static_resources'] as { clusters: Array<Record<string, unknown>> }).clusters[0]!;
    expect(cluster['type']).toBe('STATIC');
    expect(cluster['load_assignment']).toEqual({ cluster_name: 'ads_cluster', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 5678 } } } }] }] });
  });

  it('reaches a Unix socket through a pipe address and a host name through DNS; no token, no metadata', async () => {
    const unix = envoyBootstrap({ mesh: 'default', dataplane: 'web', xds: parseXdsAddress('unix:/run/meshcap/cp.sock') });
    await expectEnvoyValid(unix, 'envoy.config.bootstrap.v3.Bootstrap');
    const clusterOf = (b: Record<string, unknown>): Record<string, unknown> => (b['static_resources'] as { clusters: Array<Record<string, unknown>> }).clusters[0]!;
    expect(clusterOf(unix)['load_assignment']).toMatchObject({ endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: '/run/meshcap/cp.sock' } } } }] }] });
    expect(JSON.stringify(unix)).not.toContain('authorization');
    const named = envoyBootstrap({ mesh: 'default', dataplane: 'web', xds: parseXdsAddress('cp.internal:5678') });
    await expectEnvoyValid(named, 'envoy.config.bootstrap.v3.Bootstrap');
    expect(clusterOf(named)['type']).toBe('STRICT_DNS');
  });
});
