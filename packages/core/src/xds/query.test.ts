import { beforeAll, describe, expect, it } from 'vitest';
import { isMeshcapError, type MeshcapError } from '../errors.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';
import { compileNameRegex } from './name-regex.ts';
import { queryConfigDump, type ConfigDumpParams } from './query.ts';
import { configOf, dumpFor, expectEnvoyValid, meshWith, SEED } from './test-fixtures.ts';


let dump: EnvoyConfigDump;
beforeAll(() => {
  dump = dumpFor(meshWith(SEED), 'demo-app');
});

type Obj = Record<string, unknown>;
const types = (d: EnvoyConfigDump): string[] => (d.configs ?? []).map((c) => c['@type'].replace('type.googleapis.com/envoy.admin.v3.', ''));

async function query(params: ConfigDumpParams): Promise<EnvoyConfigDump> {
  const out = await queryConfigDump(dump, params);
  await expectEnvoyValid(out);
  return out;
}

async function failure(params: ConfigDumpParams): Promise<MeshcapError> {
  const err = await queryConfigDump(dump, params).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMeshcapError(err)) throw new Error(`expected a MeshcapError, got ${String(err)}`);
  return err;
}

describe('queryConfigDump', () => {
  it('without parameters returns the dump as it is, and never changes its input', async () => {
    const before = JSON.stringify(dump);
    expect(await query({})).toEqual(dump);
    await query({ resource: 'dynamic_active_clusters', mask: 'cluster.name', name_regex: 'inbound.*', include_eds: true });
    expect(JSON.stringify(dump)).toBe(before);
  });

  it('resource=dynamic_listeners: one DynamicListener config per listener', async () => {
    const out = await query(new URLSearchParams('resource=dynamic_listeners'));
    expect(new Set(types(out))).toEqual(new Set(['ListenersConfigDump.DynamicListener']));
    const all = configOf(dump, 'ListenersConfigDump')['dynamic_listeners'] as Obj[];
    expect(out.configs!.map(({ '@type': _t, ...rest }) => rest)).toEqual(all);
  });

  it('resource= a repeated field nobody has entries in: an empty dump; a field no type has: 404', async () => {
    expect(await query({ resource: 'static_clusters' })).toEqual({});
    const err = await failure({ resource: 'dynamic_widgets' });
    expect(err.code).toBe('MESHCAP_ERR_NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.message).toBe('dynamic_widgets not found in config dump');
  });

  it('resource= a singular field: 400 with Envoy’s hint', async () => {
    const err = await failure({ resource: 'version_info' });
    expect(err.status).toBe(400);
    expect(err.message).toBe('version_info is not a repeated field. Use ?mask=version_info to get only this field');
  });

  it('resource + mask reaches into the packed resource (cluster.name) and keeps @type', async () => {
    const out = await query({ resource: 'dynamic_active_clusters', mask: 'cluster.name,last_updated' });
    expect(out.configs![0]).toEqual({
      '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster',
      cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'inbound:passthrough:ipv4' },
      last_updated: '2026-11-22T10:00:00.000Z',
    });
    expect(out.configs!.map((c) => (c['cluster'] as Obj)['name'])).toEqual([
      'inbound:passthrough:ipv4',
      'inbound:passthrough:ipv6',
      'outbound:passthrough:ipv4',
      'outbound:passthrough:ipv6',
      'localhost:5000',
      'redis',
    ]);
  });

  it('resource + mask: what Envoy refuses is refused (a path ending at the Any, a path into a DynamicListener’s Any, unknown fields)', async () => {
    for (const params of [
      { resource: 'dynamic_active_clusters', mask: 'cluster' },
      { resource: 'dynamic_listeners', mask: 'active_state.listener.name' },
      { resource: 'dynamic_active_clusters', mask: 'cluster.no_such_field' },
    ]) {
      const err = await failure(params);
      expect(err.status).toBe(400);
      expect(err.message).toBe(`FieldMask paths: "${params.mask}" could not be successfully used.`);
    }
    const out = await query({ resource: 'dynamic_listeners', mask: 'name,active_state.version_info' });
    expect(out.configs![0]).toEqual({
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener',
      name: 'inbound:passthrough:ipv4',
      active_state: { version_info: configOf(dump, 'ListenersConfigDump')['version_info'] },
    });
  });

  it('mask without resource applies to each config type and leaves out those it does not fit', async () => {
    const listeners = await query({ mask: 'dynamic_listeners' });
    expect(types(listeners)).toEqual(['ListenersConfigDump']);
    expect(Object.keys(listeners.configs![0]!)).toEqual(['@type', 'dynamic_listeners']);

    const versions = await query({ mask: 'version_info' });
    expect(types(versions)).toEqual(['ClustersConfigDump', 'ListenersConfigDump']);
    for (const c of versions.configs!) expect(Object.keys(c)).toEqual(['@type', 'version_info']);

    const bootstrap = await query({ mask: 'bootstrap.node.id' });
    expect(bootstrap.configs).toEqual([{ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'default.demo-app' } } }]);

    // Masks cannot index through repeated fields.
    const err = await failure({ mask: 'dynamic_listeners.name' });
    expect(err.status).toBe(400);
    expect(err.message).toBe('FieldMask dynamic_listeners.name could not be successfully applied to any configs.');
  });

  it('name_regex=inbound.* keeps the resources whose whole name matches, in every config type', async () => {
    const out = await query(new URLSearchParams('name_regex=inbound.*'));
    expect(types(out)).toEqual(types(dump));
    const listeners = (configOf(out, 'ListenersConfigDump')['dynamic_listeners'] as Obj[]).map((l) => l['name']);
    expect(listeners).toEqual(['inbound:passthrough:ipv4', 'inbound:passthrough:ipv6', 'inbound:198.18.0.6:5000']);
    const clusters = (configOf(out, 'ClustersConfigDump')['dynamic_active_clusters'] as Obj[]).map((c) => (c['cluster'] as Obj)['name']);
    expect(clusters).toEqual(['inbound:passthrough:ipv4', 'inbound:passthrough:ipv6']);
    expect(configOf(out, 'RoutesConfigDump')['static_route_configs']).toHaveLength(1);
    expect(configOf(out, 'BootstrapConfigDump')).toEqual(configOf(dump, 'BootstrapConfigDump'));

    // A full match: "inbound" alone matches nothing, so the lists disappear (Envoy prints no empty list).
    const none = await query({ name_regex: 'inbound' });
    expect(configOf(none, 'ListenersConfigDump')).not.toHaveProperty('dynamic_listeners');
    expect(configOf(none, 'ListenersConfigDump')['version_info']).toBe(configOf(dump, 'ListenersConfigDump')['version_info']);

    const combined = await query({ resource: 'dynamic_listeners', name_regex: '.*:ipv6' });
    expect(combined.configs!.map((c) => c['name'])).toEqual(['inbound:passthrough:ipv6', 'outbound:passthrough:ipv6']);
  });

  it('name_regex that RE2 refuses or that could backtrack forever: 400', async () => {
    for (const [pattern, why] of [
      ['inbound(', /Invalid regular expression/],
      ['(?=inbound).*', /lookaround is not supported by RE2/],
      ['(a)\\1', /backreferences are not supported by RE2/],
      ['(a+)+$', /repeated group that itself repeats/],
      ['(x|xx)*y', /repeated group that itself repeats or alternates/],
    ] as const) {
      const err = await failure({ name_regex: pattern });
      expect(err.status).toBe(400);
      expect(err.message).toMatch(new RegExp(`^Error while parsing name_regex from ${pattern.replace(/[()|*+?\\[\]$]/g, '\\$&')}: `));
      expect(err.message).toMatch(why);
    }
  });

  it('include_eds adds an EndpointsConfigDump right after the clusters (present means on, as in Envoy)', async () => {
    const out = await query(new URLSearchParams('include_eds'));
    expect(types(out)).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'EndpointsConfigDump',
      'ListenersConfigDump',
      'ScopedRoutesConfigDump',
      'RoutesConfigDump',
      'SecretsConfigDump',
    ]);
    const eds = (configOf(out, 'EndpointsConfigDump')['dynamic_endpoint_configs'] as Obj[]).map((e) => e['endpoint_config'] as Obj);
    expect(eds.map((e) => e['cluster_name'])).toEqual(['inbound:passthrough:ipv4', 'inbound:passthrough:ipv6', 'localhost:5000', 'outbound:passthrough:ipv4', 'outbound:passthrough:ipv6', 'redis']);
    expect(eds.find((e) => e['cluster_name'] === 'redis')).toEqual({
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: 'redis',
      endpoints: [
        {
          locality: {},
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '198.18.0.20', port_value: 6379 } }, health_check_config: {} }, health_status: 'HEALTHY', load_balancing_weight: 1 },
          ],
        },
      ],
      policy: { overprovisioning_factor: 140 },
    });
    // ORIGINAL_DST clusters learn hosts per connection: none listed.
    expect(eds.find((e) => e['cluster_name'] === 'inbound:passthrough:ipv4')).not.toHaveProperty('endpoints');

    expect(types(await query({ include_eds: false }))).not.toContain('EndpointsConfigDump');
    const onlyEndpoints = await query({ include_eds: true, resource: 'dynamic_endpoint_configs', name_regex: 'localhost:.*' });
    expect(onlyEndpoints.configs!.map((c) => (c['endpoint_config'] as Obj)['cluster_name'])).toEqual(['localhost:5000']);
  });

  it('the first value of a repeated parameter counts', async () => {
    const out = await query(new URLSearchParams('resource=dynamic_listeners&resource=dynamic_active_clusters'));
    expect(new Set(types(out))).toEqual(new Set(['ListenersConfigDump.DynamicListener']));
  });
});

describe('compileNameRegex', () => {
  it('matches whole names; quantifiers on single atoms and plain alternation are fine', () => {
    expect(compileNameRegex('inbound:.*')('inbound:passthrough:ipv4')).toBe(true);
    expect(compileNameRegex('inbound:.*')('xinbound:a')).toBe(false);
    expect(compileNameRegex('a|b')('b')).toBe(true);
    expect(compileNameRegex('(?:in|out)bound:[a-z.:0-9]+')('outbound:passthrough:ipv6')).toBe(true);
    expect(compileNameRegex('(ab)+c')('ababc')).toBe(true);
    expect(compileNameRegex('[(+]*x')('(+x')).toBe(true);
    expect(compileNameRegex(undefined)('anything')).toBe(true);
    expect(compileNameRegex('')('anything')).toBe(true);
  });

  it('refuses nested repetition even behind non-capturing groups', () => {
    expect(() => compileNameRegex('(?:a*)*')).toThrow(/repeated group/);
    expect(() => compileNameRegex('((a|b)c){2,}')).toThrow(/repeated group/);
    expect(() => compileNameRegex('x'.repeat(1025))).toThrow(/longer than 1024/);
  });
});
