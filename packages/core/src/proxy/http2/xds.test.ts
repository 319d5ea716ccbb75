import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { freePort } from '@meshcap/testkit';
import { MeshcapError } from '../../errors.ts';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { checkEnvoyJson } from '../../xds/envoy-proto-check.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import { startDataplane } from '../engine.ts';
import { engineConfigFromXds } from '../xds-config/engine-config.ts';
import { DEFAULT_MAX_CONCURRENT_STREAMS } from './options.ts';

// What the dp reads of HTTP/2 in the Envoy resources it receives: the HCM's codec_type and
// http2_protocol_options, a cluster's explicit_http_config, gRPC retry_on; and what it refuses.

type Obj = Record<string, unknown>;

const RESOURCES = (port: number, appPort: number): string => `
type: Dataplane
mesh: default
name: api
networking:
  address: 127.0.0.1
  inbound:
    - { port: ${port}, servicePort: ${appPort}, tags: { kuma.io/service: api, kuma.io/protocol: grpc } }
  outbound:
    - { port: 7070, tags: { kuma.io/service: users } }
    - { port: 7071, tags: { kuma.io/service: web } }
---
type: Dataplane
mesh: default
name: users-1
networking:
  address: 127.0.0.5
  inbound:
    - { port: 7000, tags: { kuma.io/service: users, kuma.io/protocol: http2 } }
---
type: Dataplane
mesh: default
name: web-1
networking:
  address: 127.0.0.6
  inbound:
    - { port: 7001, tags: { kuma.io/service: web, kuma.io/protocol: http } }
---
type: MeshRetry
name: retry
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: users }, default: { grpc: { retryOn: [Unavailable, Canceled] }, http: { numRetries: 3 } } }
`;

function rendered(port = 5000, appPort = 5001): XdsResourceSet {
  const pc = new PolicyCompiler();
  pc.applyAll(parseResources(RESOURCES(port, appPort)));
  return structuredClone(xdsResourcesOf(pc.compile('default', 'api')));
}

const listener = (set: XdsResourceSet, name: string): Obj => set.listeners.find((l) => l['name'] === name) as Obj;
const hcmOf = (l: Obj): Obj => (((l['filter_chains'] as Obj[])[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj);
const protocolOptions = (set: XdsResourceSet, cluster: string): Obj =>
  ((set.clusters.find((c) => c['name'] === cluster) as Obj)['typed_extension_protocol_options'] as Record<string, Obj>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']!;

function refusal(set: XdsResourceSet): string {
  try {
    engineConfigFromXds(set);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshcapError);
    return (err as Error).message;
  }
  throw new Error('the resources were accepted');
}

describe('HTTP/2 in the received Envoy resources', () => {
  it('grpc and http2 services: an AUTO codec listener, clusters that speak HTTP/2; http ones stay HTTP/1.1', () => {
    const { config } = engineConfigFromXds(rendered());
    const inbound = config.listeners.find((l) => l.name === 'inbound:127.0.0.1:5000')!;
    expect(inbound).toMatchObject({ protocol: 'http', codec: 'auto' });
    expect(inbound.cluster.http2).toEqual({});
    const cluster = (name: string) => config.clusters.find((c) => c.name === name)!;
    expect(cluster('users').http2).toEqual({});
    expect(cluster('web').http2).toBeUndefined();
  });

  it('what the control plane renders for them decodes strictly with Envoy\'s protos (HTTP/2 options, gRPC retry_on, grpc_status abort)', async () => {
    const pc = new PolicyCompiler();
    pc.applyAll(
      parseResources(`${RESOURCES(5000, 5001)}
---
type: MeshFaultInjection
name: fi
mesh: default
spec:
  targetRef: { kind: MeshService, name: api }
  from:
    - { targetRef: { kind: Mesh }, default: { http: [{ abort: { grpcStatus: 14, percentage: 50 } }] } }
---
type: MeshRetry
name: retry-grpc
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: api }, default: { grpc: { numRetries: 2, retryOn: [Unavailable, DeadlineExceeded] } } }
`),
    );
    const set = xdsResourcesOf(pc.compile('default', 'api'));
    const problems: string[] = [];
    const check = async (r: Obj, type: string): Promise<void> => {
      const { '@type': _type, ...message } = r;
      problems.push(...(await checkEnvoyJson(message, type)).map((i) => `${String(r['name'])} ${i.path}: ${i.message}`));
    };
    for (const l of set.listeners) await check(l, 'envoy.config.listener.v3.Listener');
    for (const c of set.clusters) await check(c, 'envoy.config.cluster.v3.Cluster');
    expect(problems).toEqual([]);
    expect(JSON.stringify(set.listeners)).toContain('"grpc_status":14');
    // And the dp takes it back as it was meant.
    expect(() => engineConfigFromXds(set)).not.toThrow();
  });

  it("a gRPC service's route retries on the grpc section's statuses; an http2 service's on the http section", () => {
    const set = rendered();
    const route = (l: Obj) => ((hcmOf(l)['route_config'] as Obj)['virtual_hosts'] as Obj[])[0]!['routes'] as Obj[];
    // users is http2 (not grpc): Kuma's http section.
    expect((route(listener(set, 'outbound:127.0.0.1:7070'))[0]!['route'] as Obj)['retry_policy']).toMatchObject({ retry_on: '5xx,reset,connect-failure', num_retries: 3 });
    // The grpc form of the same route decodes into the grpc section.
    (route(listener(set, 'outbound:127.0.0.1:7070'))[0]!['route'] as Obj)['retry_policy'] = { retry_on: 'unavailable,cancelled', num_retries: 2 };
    expect(() => engineConfigFromXds(set)).not.toThrow();
    (route(listener(set, 'outbound:127.0.0.1:7070'))[0]!['route'] as Obj)['retry_policy'] = { retry_on: 'unavailable,5xx' };
    expect(refusal(set)).toMatch(/retry_policy\.retry_on: gRPC conditions .* cannot be mixed/);
  });

  it('codec_type and http2_protocol_options are honoured; what cannot be is refused with its field', () => {
    const set = rendered();
    const hcm = hcmOf(listener(set, 'inbound:127.0.0.1:5000'));
    hcm['codec_type'] = 'HTTP2';
    hcm['http2_protocol_options'] = { max_concurrent_streams: 100, initial_stream_window_size: 1048576 };
    const l = engineConfigFromXds(set).config.listeners.find((x) => x.name === 'inbound:127.0.0.1:5000')!;
    expect(l).toMatchObject({ codec: 'http2', http2: { maxConcurrentStreams: 100, initialStreamWindowSize: 1048576 } });

    hcm['codec_type'] = 'HTTP3';
    expect(refusal(set)).toMatch(/codec_type: "HTTP3" is not supported/);
    hcm['codec_type'] = 'HTTP2';
    hcm['http2_protocol_options'] = { allow_connect: true };
    expect(refusal(set)).toMatch(/http2_protocol_options/);
    hcm['http2_protocol_options'] = { initial_stream_window_size: 10 };
    expect(refusal(set)).toMatch(/initial_stream_window_size: must be 65535\.\.2147483647/);
    delete hcm['http2_protocol_options'];
    // HTTP/2 downstream to an HTTP/1.1 upstream would need a translation meshcap dp does not do.
    const web = hcmOf(listener(set, 'outbound:127.0.0.1:7071'));
    web['codec_type'] = 'HTTP2';
    expect(refusal(set)).toMatch(/codec_type HTTP2 needs cluster "web" to speak HTTP\/2/);
    delete web['codec_type'];
    const options = protocolOptions(set, 'users');
    options['explicit_http_config'] = { http_protocol_options: {}, http2_protocol_options: {} };
    expect(refusal(set)).toMatch(/explicit_http_config: needs exactly one of/);
  });

  it('SETTINGS on the wire: max concurrent streams as configured, bounded by default', async () => {
    const port = await freePort();
    const set = rendered(port, await freePort());
    const dp = await startDataplane({ xds: { mesh: 'default', name: 'api', version: '1', resources: set }, admin: false });
    const settings = async (): Promise<http2.Settings> => {
      const s = http2.connect(`http://127.0.0.1:${port}`);
      s.on('error', () => {});
      const remote = await new Promise<http2.Settings>((resolve) => s.once('remoteSettings', resolve));
      s.destroy();
      return remote;
    };
    try {
      expect(await settings()).toMatchObject({ maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS, maxHeaderListSize: 61440, enablePush: false });
      const next = structuredClone(set);
      const hcm = hcmOf(listener(next, `inbound:127.0.0.1:${port}`));
      hcm['http2_protocol_options'] = { max_concurrent_streams: 7 };
      await dp.applyXds('2', next);
      expect((await settings()).maxConcurrentStreams).toBe(7);
    } finally {
      await dp.stop({ drainMs: 0 });
    }
  });
});
