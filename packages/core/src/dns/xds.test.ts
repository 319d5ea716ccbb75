import { describe, expect, it } from 'vitest';
import { parseResources } from '../model/index.ts';
import { PolicyCompiler } from '../policy/index.ts';
import { engineConfigFromXds } from '../proxy/xds-config/engine-config.ts';
import type { EnvoyMessage } from '../xds/envoy-json.ts';
import { proxyConfigOf, xdsResourcesOf } from '../xds/provider.ts';
import type { XdsResourceSet } from '../xds/resource-set.ts';
import { dataplaneYaml, resourcesYaml } from '../testing.ts';
import { expectEnvoyValid } from '../xds/test-fixtures.ts';
import { freeVips, meshDnsNames, vipPorts } from './vips.ts';

// VIPs and the DNS proxy through the one contract: the compiler gives services their VIPs, the
// control plane renders VIP outbound listeners and the `kuma:dns` listener, the dataplane decodes
// them back into what it runs (or refuses them, naming the field).

const MESH = resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: '198.18.7.1', inbound: [{ port: 8080, service: 'web', protocol: 'http' }], transparentProxying: {} }),
  dataplaneYaml({ mesh: 'default', name: 'backend-1', address: '198.18.7.2', inbound: [{ port: 5000, service: 'backend', protocol: 'http' }] }),
  dataplaneYaml({ mesh: 'default', name: 'db_kuma-demo_svc_5432', address: '198.18.7.3', inbound: [{ port: 5432, service: 'db_kuma-demo_svc_5432' }] }),
  dataplaneYaml({ mesh: 'default', name: 'explicit', address: '198.18.7.4', inbound: [{ port: 9000, service: 'explicit' }] }),
);

const TIMEOUT = `
type: MeshTimeout
mesh: default
name: backend-idle
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default: { idleTimeout: 42s }
`;

const VIPS = [
  { mesh: 'default', service: 'backend', address: '240.0.0.1' },
  { mesh: 'default', service: 'db_kuma-demo_svc_5432', address: '240.0.0.2' },
  { mesh: 'default', service: 'web', address: '240.0.0.3' },
  { mesh: 'default', service: 'explicit', address: '240.0.0.4' },
];

function compiler(yaml = MESH): PolicyCompiler {
  const pc = new PolicyCompiler({ vips: VIPS });
  pc.applyAll(parseResources(yaml));
  return pc;
}

type Obj = Record<string, unknown>;
const byName = (set: XdsResourceSet, name: string): Obj => set.listeners.find((l) => l['name'] === name) as Obj;

function dnsFilterConfig(set: XdsResourceSet): Obj {
  const l = byName(set, 'kuma:dns');
  return ((l['listener_filters'] as Obj[])[0]!['typed_config'] as Obj);
}

describe('VIPs', () => {
  it('are handed out lowest first from 240.0.0.0/4, skipping the taken ones', () => {
    expect(freeVips(['240.0.0.1', '240.0.0.3', '198.18.0.1'], 3)).toEqual(['240.0.0.2', '240.0.0.4', '240.0.0.5']);
    expect(freeVips([], 1)).toEqual(['240.0.0.1']);
  });

  it('listen at Kuma\'s port 80 and at each endpoint port; Kuma\'s generated service names get their dotted name too', () => {
    expect(vipPorts([5000, 80, 5000, 3000])).toEqual([80, 3000, 5000]);
    expect(meshDnsNames('backend')).toEqual(['backend.mesh']);
    expect(meshDnsNames('db_kuma-demo_svc_5432')).toEqual(['db_kuma-demo_svc_5432.mesh', 'db.kuma-demo.svc.5432.mesh']);
    expect(meshDnsNames('bad name')).toEqual([]);
  });
});

describe('the kuma:dns listener and the VIP outbounds over xDS', () => {
  const pc = compiler(MESH + '---' + TIMEOUT);
  const policies = pc.compile('default', 'web');
  const set = xdsResourcesOf(policies);

  it('gives a transparent dataplane each service\'s VIP; a dataplane without transparent proxying gets none', () => {
    expect(policies.outbounds.map((o) => [o.service, o.vip])).toEqual([
      ['backend', '240.0.0.1'],
      ['db_kuma-demo_svc_5432', '240.0.0.2'],
      ['explicit', '240.0.0.4'],
      ['web', '240.0.0.3'],
    ]);
    const explicit = pc.compile('default', 'explicit');
    expect(explicit.outbounds.every((o) => o.vip === undefined)).toBe(true);
    expect(xdsResourcesOf(explicit).listeners.map((l) => l['name'])).not.toContain('kuma:dns');
  });

  it('renders the DNS filter with the mesh names (A and IPv4-mapped AAAA), valid for Envoy\'s protos', async () => {
    const c = dnsFilterConfig(set);
    expect(c).toMatchObject({ stat_prefix: 'kuma_dns', client_config: { resolver_timeout: '5s', max_pending_lookups: '256' } });
    const domains = ((c['server_config'] as Obj)['inline_dns_table'] as Obj)['virtual_domains'] as Obj[];
    expect(domains.map((d) => d['name'])).toEqual(['backend.mesh', 'db_kuma-demo_svc_5432.mesh', 'db.kuma-demo.svc.5432.mesh', 'explicit.mesh', 'web.mesh']);
    expect(domains[0]).toEqual({ name: 'backend.mesh', endpoint: { address_list: { address: ['240.0.0.1', '::ffff:240.0.0.1'] } }, answer_ttl: '30s' });
    for (const l of set.listeners) await expectEnvoyValid(l, 'google.protobuf.Any');
  });

  it('renders VIP outbound listeners at port 80 and the service port, handed off from 15001, with the service\'s `to` policies', () => {
    // In service order (backend, db…, explicit, web).
    const names = set.listeners.map((l) => l['name'] as string).filter((n) => n.startsWith('outbound:240.'));
    expect(names).toEqual(['outbound:240.0.0.1:80', 'outbound:240.0.0.1:5000', 'outbound:240.0.0.2:80', 'outbound:240.0.0.2:5432', 'outbound:240.0.0.4:80', 'outbound:240.0.0.4:9000', 'outbound:240.0.0.3:80', 'outbound:240.0.0.3:8080']);
    const vip = byName(set, 'outbound:240.0.0.1:80');
    expect(vip).toMatchObject({ address: { socket_address: { address: '240.0.0.1', port_value: 80 } }, bind_to_port: false, traffic_direction: 'OUTBOUND' });
    const hcm = ((vip['filter_chains'] as Obj[])[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj;
    expect((hcm['route_config'] as Obj)['virtual_hosts']).toMatchObject([{ routes: [{ route: { cluster: 'backend' } }] }]);
    expect(hcm['common_http_protocol_options']).toEqual({ idle_timeout: '42s' });
    const tcp = byName(set, 'outbound:240.0.0.2:5432');
    expect(((tcp['filter_chains'] as Obj[])[0]!['filters'] as Obj[])[0]!['typed_config']).toMatchObject({ cluster: 'db_kuma-demo_svc_5432' });
  });

  it('decodes on the dataplane to what the control plane compiled: the same DNS table and VIP listeners', () => {
    const { config } = engineConfigFromXds(set);
    const compiled = proxyConfigOf(policies);
    expect(config.dns).toEqual(compiled.dns);
    expect(config.dns?.addresses).toEqual([
      { address: '127.0.0.1', port: 15053 },
      { address: '::1', port: 15053 },
    ]);
    expect(config.dns?.domains.get('backend.mesh')).toEqual({ a: ['240.0.0.1'], aaaa: ['::ffff:240.0.0.1'], ttl: 30 });
    const vip = config.listeners.find((l) => l.name === 'outbound:240.0.0.1:80')!;
    expect(vip).toMatchObject({ address: '240.0.0.1', port: 80, bind: false, direction: 'outbound', capture: 'redirect', protocol: 'http', service: 'backend' });
    expect(vip.cluster.endpoints).toEqual([{ address: '198.18.7.2', port: 5000 }]);
  });

  it('a new VIP is a new config version; the same VIPs again are not', () => {
    const before = pc.compile('default', 'web').version;
    pc.setVips(VIPS);
    expect(pc.compile('default', 'web').version).toEqual(before);
    pc.setVips([...VIPS.filter((v) => v.service !== 'backend'), { mesh: 'default', service: 'backend', address: '240.0.0.9' }]);
    const after = pc.compile('default', 'web');
    expect(after.version.counter).toBe(before.counter + 1);
    expect(after.outbounds.find((o) => o.service === 'backend')?.vip).toBe('240.0.0.9');
  });
});

describe('the dataplane refuses a DNS listener it would not honour, naming the field', () => {
  const set = xdsResourcesOf(compiler().compile('default', 'web'));
  const withDns = (edit: (filter: Obj, listener: Obj) => void): XdsResourceSet => {
    const copy = structuredClone(set);
    const l = copy.listeners.find((x) => x['name'] === 'kuma:dns') as Obj;
    edit((l['listener_filters'] as Obj[])[0]!['typed_config'] as Obj, l);
    return copy;
  };
  const refused = (s: XdsResourceSet): string => {
    try {
      engineConfigFromXds(s);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('an external table, a cluster as an endpoint, a resolver extension, another listener filter, a second DNS listener', () => {
    expect(refused(withDns((f) => (f['server_config'] = { external_dns_table: { filename: '/etc/table' } })))).toMatch(
      /^Listener "kuma:dns".listener_filters\[0\].typed_config.server_config.external_dns_table: not supported/,
    );
    expect(
      refused(
        withDns((f) => {
          (((f['server_config'] as Obj)['inline_dns_table'] as Obj)['virtual_domains'] as Obj[])[0]!['endpoint'] = { cluster_name: 'backend' };
        }),
      ),
    ).toMatch(/virtual_domains\[0\].endpoint.cluster_name: not supported/);
    expect(refused(withDns((f) => ((f['client_config'] as Obj)['typed_dns_resolver_config'] = { name: 'envoy.network.dns_resolver.cares' })))).toMatch(
      /client_config.typed_dns_resolver_config: not supported/,
    );
    expect(refused(withDns((_f, l) => ((l['listener_filters'] as Obj[])[0]!['name'] = 'envoy.filters.udp_listener.udp_proxy')))).toMatch(/listener_filters\[0\].name: "envoy.filters.udp_listener.udp_proxy" is not supported/);
    const twice = structuredClone(set);
    twice.listeners.push({ ...(twice.listeners.find((x) => x['name'] === 'kuma:dns') as EnvoyMessage), name: 'kuma:dns:2' });
    expect(refused(twice)).toMatch(/^Listener "kuma:dns:2": meshcap dp runs one DNS proxy/);
  });
});
