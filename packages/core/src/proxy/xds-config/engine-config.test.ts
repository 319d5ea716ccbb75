import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import type { TcpConnectionContext } from '../chain.ts';
import { compileProxyConfig, serviceDirectory, type ProxyConfig } from '../config.ts';
import { dataplaneYaml, resourcesYaml } from '../../testing.ts';
import { engineConfigFromXds } from './engine-config.ts';

// Decoding received Envoy resources into what the engine runs: the same listeners and clusters as
// the Dataplane resource compiles to, and a refusal naming resource and field for what it cannot honour.

type Obj = Record<string, unknown>;

const seed = (inboundMode: 'redirect' | 'tproxy' = 'redirect'): string => `
${resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'demo-app',
    address: '198.18.0.6',
    inbound: [
      { port: 5000, service: 'demo-app', protocol: 'http' },
      { port: 6000, service: 'demo-tcp' },
    ],
    outbound: [{ port: 6379, address: '198.18.0.20', service: 'redis' }],
    transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001, inboundMode },
  }),
  dataplaneYaml({ mesh: 'default', name: 'redis', address: '198.18.0.20', inbound: [{ port: 6379, service: 'redis' }] }),
)}---
type: MeshTimeout
name: redis-timeout
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: redis }, default: { idleTimeout: 5s, connectionTimeout: 2s } }
---
type: MeshRateLimit
name: rl
mesh: default
spec:
  targetRef: { kind: MeshService, name: demo-app }
  from:
    - { targetRef: { kind: Mesh }, default: { local: { http: { requestRate: { num: 5, interval: 1s }, onRateLimit: { status: 503, headers: { set: [{ name: x-limited, value: "yes" }] } } } } } }
`;

function compiled(yaml: string): { set: XdsResourceSet; rds: XdsResourceSet; expected: ProxyConfig } {
  const pc = new PolicyCompiler();
  pc.applyAll(parseResources(yaml));
  const policies = pc.compile('default', 'demo-app');
  return {
    set: xdsResourcesOf(policies),
    rds: xdsResourcesOf(policies, { routes: 'rds' }),
    expected: compileProxyConfig(policies.resource, { services: serviceDirectory(pc.dataplanes('default')) }),
  };
}

/** What must agree between the two ways of building a proxy config. */
function shape(c: ProxyConfig): unknown {
  return {
    transparent: c.transparent,
    inboundMode: c.inboundMode,
    ipv6: c.ipv6,
    listeners: c.listeners.map((l) => ({
      name: l.name,
      direction: l.direction,
      address: l.address,
      port: l.port,
      bind: l.bind,
      useOriginalDst: l.useOriginalDst,
      transparent: l.transparent,
      capture: l.capture,
      protocol: l.protocol,
      cluster: l.cluster.name,
      service: l.service,
    })),
    clusters: c.clusters
      .map((k) => ({ name: k.name, statName: k.statName, kind: k.kind, endpoints: k.endpoints, inboundSource: k.inboundSource, transparentSource: k.transparentSource }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function refusal(set: XdsResourceSet): string {
  try {
    engineConfigFromXds(set);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshcapError);
    expect((err as MeshcapError).code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    return (err as MeshcapError).message;
  }
  throw new Error('the set was accepted');
}

const listener = (set: XdsResourceSet, name: string): Obj => set.listeners.find((l) => l['name'] === name) as Obj;
const hcmOf = (l: Obj): Obj => (((l['filter_chains'] as Obj[])[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj);

describe('engineConfigFromXds', () => {
  it('decodes the listeners and clusters the Dataplane resource compiles to (REDIRECT and TPROXY, inline routes and RDS)', () => {
    for (const mode of ['redirect', 'tproxy'] as const) {
      const { set, rds, expected } = compiled(seed(mode));
      expect(shape(engineConfigFromXds(set).config)).toEqual(shape(expected));
      expect(shape(engineConfigFromXds(rds).config)).toEqual(shape(expected));
    }
    const { config } = engineConfigFromXds(compiled(seed()).set);
    // The cluster's connect timeout travels with it (redis: the MeshTimeout's 2s; the others Envoy's default 5s).
    expect(Object.fromEntries(config.clusters.map((c) => [c.name, c.connectTimeoutMs]))).toMatchObject({ redis: 2_000, 'localhost:5000': 5_000 });
  });

  it('the outbound passthrough picks the chain of the destination service (prefix_ranges + destination_port)', () => {
    const { set } = compiled(seed());
    const passthrough = listener(set, 'outbound:passthrough:ipv4');
    expect((passthrough['filter_chains'] as Obj[])[0]!['filter_chain_match']).toEqual({ prefix_ranges: [{ address_prefix: '198.18.0.20', prefix_len: 32 }], destination_port: 6379 });
    const { config, passes } = engineConfigFromXds(set);
    const passthroughListener = config.listeners.find((l) => l.name === 'outbound:passthrough:ipv4')!;
    const tcp = passes.forListener(passthroughListener).tcp!;
    const idleFor = (address: string, port: number): number => {
      const ctx = { listener: passthroughListener, client: { address: '198.18.0.6', port: 40000 }, destination: { address, port }, connectTimeoutMs: 5_000, idleTimeoutMs: 3_600_000 } as TcpConnectionContext;
      for (const p of tcp) void p.onConnect(ctx);
      return ctx.idleTimeoutMs;
    };
    expect(idleFor('198.18.0.20', 6379)).toBe(5_000);
    expect(idleFor('198.18.0.20', 6380)).toBe(3_600_000);
    expect(idleFor('198.18.0.99', 6379)).toBe(3_600_000);
  });

  it('refuses what it cannot honour, naming the resource and the field', () => {
    const { set, rds } = compiled(seed());
    const edit = (base: XdsResourceSet, f: (s: XdsResourceSet) => void): XdsResourceSet => {
      const copy = structuredClone(base);
      f(copy);
      return copy;
    };
    const redis = (s: XdsResourceSet): Obj => s.clusters.find((c) => c['name'] === 'redis') as Obj;
    const http = (s: XdsResourceSet): Obj => hcmOf(listener(s, 'inbound:198.18.0.6:5000'));
    expect(refusal(edit(set, (s) => (redis(s)['health_checks'] = [{ timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, grpc_health_check: {} }])))).toMatch(/^Cluster "redis"\.health_checks\[0\]\.grpc_health_check: not supported by meshcap dp/);
    expect(refusal(edit(set, (s) => (s.endpoints = [])))).toBe('Cluster "redis".eds_cluster_config: no ClusterLoadAssignment "redis" among the endpoints received');
    expect(refusal(edit(set, (s) => (http(s)['http_filters'] as Obj[]).unshift({ name: 'envoy.filters.http.cors', typed_config: {} })))).toMatch(
      /^Listener "inbound:198\.18\.0\.6:5000"\.filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]\.name: "envoy\.filters\.http\.cors" is not supported/,
    );
    expect(
      refusal(edit(set, (s) => {
        const f = (http(s)['http_filters'] as Obj[]).find((x) => x['name'] === 'envoy.filters.http.local_ratelimit')!;
        ((f['typed_config'] as Obj)['token_bucket'] as Obj)['tokens_per_fill'] = 1;
      })),
    ).toMatch(/\.http_filters\[0\]\.typed_config\.token_bucket\.tokens_per_fill: must equal max_tokens \(5\)/);
    expect(
      refusal(edit(set, (s) => {
        const route = ((((http(s)['route_config'] as Obj)['virtual_hosts'] as Obj[])[0]!['routes'] as Obj[])[0]!['route'] as Obj);
        route['retry_policy'] = { retry_on: '5xx,refused-stream' };
      })),
    ).toMatch(/route_config\.virtual_hosts\[0\]\.routes\[0\]\.route\.retry_policy\.retry_on: "refused-stream" is not supported/);
    expect(
      refusal(edit(set, (s) => {
        const l = listener(s, 'inbound:198.18.0.6:6000');
        const tcp = ((l['filter_chains'] as Obj[])[0]!['filters'] as Obj[]).at(-1)!['typed_config'] as Obj;
        tcp['access_log'] = [{ name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/null', log_format: { text_format_source: { inline_string: '%KUMA_MESH%\n' } } } }];
      })),
    ).toMatch(/access_log\[0\]\.typed_config\.log_format\.text_format_source\.inline_string: %KUMA_MESH% is not an Envoy command operator/);
    expect(
      refusal(edit(set, (s) => {
        const l = listener(s, 'outbound:passthrough:ipv4');
        l['filter_chains'] = (l['filter_chains'] as Obj[]).slice(0, 1);
      })),
    ).toBe('Listener "outbound:passthrough:ipv4".filter_chains: a filter chain without filter_chain_match (for every other connection) is required');
    expect(refusal(edit(rds, (s) => (s.routes = [])))).toMatch(/rds\.route_config_name: no RouteConfiguration "inbound:198\.18\.0\.6:5000" among the routes received$/);
  });
});
