import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseResources, type Dataplane } from '../model/index.ts';
import { SEED_DATAPLANE_YAML } from '../testing.ts';
import { compileProxyConfig, serviceDirectory } from './config.ts';
import { loadDataplaneFile } from './standalone.ts';
import { renderStatsPrometheus, ProxyStats } from './stats.ts';

function golden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`./__golden__/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const dp = (yaml: string): Dataplane => parseResources(yaml)[0] as unknown as Dataplane;

describe('listeners and clusters from a Dataplane', () => {
  it("loads the seed's example as written: one explicit HTTP inbound to 127.0.0.1:5000", () => {
    const { dataplane, services } = loadDataplaneFile(SEED_DATAPLANE_YAML, 'seed.yaml');
    const config = compileProxyConfig(dataplane, { services });
    expect(config).toMatchObject({ dataplane: 'demo-app', mesh: 'default', transparent: false });
    expect(config.listeners).toHaveLength(1);
    expect(config.listeners[0]).toMatchObject({
      name: 'inbound:10.119.249.39:15000',
      address: '10.119.249.39',
      port: 15000,
      bind: true,
      capture: 'explicit',
      protocol: 'http',
      httpStatPrefix: 'localhost_5000',
      cluster: { name: 'localhost:5000', kind: 'static', endpoints: [{ address: '127.0.0.1', port: 5000 }], inboundSource: false },
    });
    expect(services.get('app')).toEqual({ endpoints: [{ address: '10.119.249.39', port: 15000 }], protocol: 'http' });
  });

  it('gives inbounds on one application port but different addresses clusters of their own', () => {
    const config = compileProxyConfig(
      dp(`
type: Dataplane
name: two
networking:
  address: 198.18.0.1
  inbound:
    - { port: 8080, servicePort: 5000, tags: { kuma.io/service: a } }
    - { port: 8081, servicePort: 5000, serviceAddress: 198.18.0.9, tags: { kuma.io/service: b } }
    - { port: 8082, servicePort: 5000, serviceAddress: '2001:2::9', tags: { kuma.io/service: c } }
`),
    );
    expect(config.listeners.map((l) => [l.cluster.name, l.cluster.endpoints])).toEqual([
      ['localhost:5000', [{ address: '127.0.0.1', port: 5000 }]],
      ['198.18.0.9:5000', [{ address: '198.18.0.9', port: 5000 }]],
      ['[2001:2::9]:5000', [{ address: '2001:2::9', port: 5000 }]],
    ]);
  });

  it('builds the transparent listener set Kuma builds (golden)', () => {
    const web = dp(`
type: Dataplane
name: web
networking:
  address: 198.18.0.1
  inbound:
    - port: 8080
      tags: { kuma.io/service: web, kuma.io/protocol: http }
  outbound:
    - port: 5000
      address: 198.18.0.10
      tags: { kuma.io/service: backend }
    - port: 10001
      tags: { kuma.io/service: db }
  transparentProxying:
    redirectPortInbound: 15006
    redirectPortOutbound: 15001
`);
    const backend = dp(`
type: Dataplane
name: backend
networking:
  address: 198.18.0.10
  inbound:
    - port: 5000
      tags: { kuma.io/service: backend, kuma.io/protocol: http }
`);
    const config = compileProxyConfig(web, { version: 'v1', services: serviceDirectory([web, backend]) });
    const summary = config.listeners.map((l) =>
      [l.name, `${l.address}:${l.port}`, l.bind ? 'bind' : 'handoff', l.useOriginalDst ? 'use_original_dst' : '-', l.capture, l.protocol, `${l.cluster.name}(${l.cluster.kind}${l.cluster.endpoints.map((e) => ` ${e.address}:${e.port}`).join('')})${l.cluster.inboundSource ? ' from 127.0.0.6/::6' : ''}`].join('  '),
    );
    golden('transparent-listeners.txt', `${summary.join('\n')}\n`);
  });

  it('names the field when two listeners collide or an inbound takes a capture port', () => {
    const clash = dp(`
type: Dataplane
name: x
networking:
  address: 198.18.0.1
  inbound:
    - { port: 5000, tags: { kuma.io/service: a } }
    - { port: 5000, servicePort: 6000, tags: { kuma.io/service: b } }
    - { port: 15001, tags: { kuma.io/service: c } }
  transparentProxying: {}
`);
    expect(() => compileProxyConfig(clash)).toThrow(/networking\.inbound\[1\]\.port: inbound:198\.18\.0\.1:5000 uses 198\.18\.0\.1:5000.*networking\.inbound\[2\]\.port: port 15001 is a capture port|networking\.inbound\[2\]\.port: port 15001 is a capture port.*networking\.inbound\[1\]\.port/);
  });

  it('leaves out IPv6 listeners in IPv4 mode and skips Ignored inbounds', () => {
    const config = compileProxyConfig(
      dp(`
type: Dataplane
name: x
networking:
  address: 198.18.0.1
  inbound:
    - { port: 5000, state: Ignored, tags: { kuma.io/service: a } }
  transparentProxying: { ipFamilyMode: IPv4, inboundMode: tproxy }
`),
    );
    expect(config.listeners.map((l) => l.name)).toEqual(['inbound:passthrough:ipv4', 'outbound:passthrough:ipv4']);
    expect(config.listeners[0]).toMatchObject({ transparent: true, capture: 'tproxy', cluster: { transparentSource: true } });
  });
});

describe('stats rendering', () => {
  it('renders Prometheus text with Envoy tag extraction', () => {
    const stats = new ProxyStats();
    stats.httpPrefix('localhost_5000').downstream_rq_2xx = 3;
    stats.cluster('backend').upstream_cx_total = 2;
    stats.listener('inbound_198.18.0.10_5000').downstream_cx_active = 1;
    const text = renderStatsPrometheus(stats.values());
    expect(text).toContain('# TYPE envoy_http_downstream_rq_xx counter\n');
    expect(text).toContain('envoy_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="localhost_5000"} 3\n');
    expect(text).toContain('envoy_cluster_upstream_cx_total{envoy_cluster_name="backend"} 2\n');
    expect(text).toContain('# TYPE envoy_listener_downstream_cx_active gauge\nenvoy_listener_downstream_cx_active{envoy_listener_address="inbound_198.18.0.10_5000"} 1\n');
  });
});
