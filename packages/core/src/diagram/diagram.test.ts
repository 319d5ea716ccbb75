import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../flows/flow.ts';
import { parseResources } from '../model/parse.ts';
import { PolicyCompiler } from '../policy/state.ts';
import { dataplaneYaml, faultDelayYaml, httpRetryYaml, resourcesYaml, SEED_DATAPLANE_YAML } from '../testing.ts';
import { dataplanePathDiagram, escapeMermaidText, flowDiagram } from './index.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '__golden__');

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const mesh = resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: '198.18.0.10',
    inbound: [{ port: 8080, servicePort: 8081, service: 'web', protocol: 'http' }],
    transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
  }),
  dataplaneYaml({
    mesh: 'default',
    name: 'backend',
    address: '198.18.0.11',
    inbound: [{ port: 9000, service: 'backend', protocol: 'http' }],
    transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001, inboundMode: 'tproxy' },
  }),
  faultDelayYaml({ name: 'slow-web', service: 'web', delay: '5s', percentage: 50 }),
  httpRetryYaml({ name: 'retry-backend', service: 'backend', numRetries: 3 }),
);

function compiled(text: string, toggles: Array<[string, string, string]> = []) {
  const compiler = new PolicyCompiler();
  compiler.applyAll(parseResources(text));
  for (const [dp, type, name] of toggles) compiler.setToggle('default', dp, type, name, false);
  return compiler;
}

describe('dataplane path diagrams', () => {
  it('draws the seed-style inbound path with the policies that act on it', () => {
    golden('web-inbound.mmd', dataplanePathDiagram(compiled(mesh).compile('default', 'web'), 'inbound'));
  });

  it('draws the outbound path with each service, its policies and the passthrough', () => {
    golden('web-outbound.mmd', dataplanePathDiagram(compiled(mesh).compile('default', 'web'), 'outbound'));
  });

  it('shows TPROXY capture and the client address kept', () => {
    const text = dataplanePathDiagram(compiled(mesh).compile('default', 'backend'), 'inbound');
    expect(text).toContain('KUMA_MESH_INBOUND_TPROXY');
    expect(text).toContain('(from the client address)');
    golden('backend-inbound-tproxy.mmd', text);
  });

  it('marks a policy toggled off for this dataplane and leaves its conf out', () => {
    const text = dataplanePathDiagram(compiled(mesh, [['web', 'MeshFaultInjection', 'slow-web']]).compile('default', 'web'), 'inbound');
    expect(text).toContain('slow-web (off for this dataplane) → not in effect');
    expect(text).not.toContain('"5s"');
  });

  it('draws the seed Dataplane without capture: no kernel, explicit listener', () => {
    const text = dataplanePathDiagram(compiled(SEED_DATAPLANE_YAML).compile('default', 'demo-app'), 'inbound');
    expect(text).not.toContain('Kernel');
    golden('seed-demo-app-inbound.mmd', text);
    expect(dataplanePathDiagram(compiled(SEED_DATAPLANE_YAML).compile('default', 'demo-app'), 'outbound')).toContain('declares no outbound');
  });

  it('names the application and cluster of each inbound as the proxy does, also for two inbounds on one port', () => {
    const twoAddresses = `type: Dataplane
mesh: default
name: multi
networking:
  address: 198.18.0.20
  inbound:
    - port: 7000
      tags: { kuma.io/service: a }
    - port: 7000
      address: 198.18.0.21
      serviceAddress: 198.18.0.21
      tags: { kuma.io/service: b }
`;
    const text = dataplanePathDiagram(compiled(twoAddresses).compile('default', 'multi'), 'inbound');
    expect(text).toContain('participant App_a_7000 as 127.0.0.1:7000<br>(a)');
    expect(text).toContain('participant App_b_7000 as 198.18.0.21:7000<br>(b)');
    expect(text).toContain('cluster localhost:7000');
    expect(text).toContain('cluster 198.18.0.21:7000');
  });
});

const baseFlow: FlowRecord = {
  id: 'a1b2c3d4-1',
  connectionId: 'a1b2c3d4-1',
  start: Date.UTC(2026, 10, 22, 10, 0, 0),
  mesh: 'default',
  dataplane: 'web',
  direction: 'outbound',
  listener: 'outbound:passthrough:ipv4',
  cluster: 'backend',
  capture: 'redirect',
  protocol: 'http',
  client: { address: '198.18.0.10', port: 40123 },
  destination: { address: '198.18.0.11', port: 9000 },
  upstream: { address: '198.18.0.11', port: 9000 },
  bytes: { fromClient: 120, toClient: 2048 },
  http: { method: 'GET', authority: 'backend:9000', path: '/items?x=1;y=2', status: 200, requestBytes: 0, responseBytes: 1900, requestId: 'req-1', attempts: 2 },
  timings: { connectMs: 0.42, firstByteMs: 210.5, totalMs: 212.25 },
  verdict: 'forwarded',
  policies: [{ type: 'MeshRetry', name: 'retry-backend', action: 'retry 1/3 after 503' }],
};

describe('flow diagrams', () => {
  it('draws an HTTP flow with capture, policies and timings', () => {
    golden('flow-http-retried.mmd', flowDiagram(baseFlow));
  });

  it('draws a TCP flow refused upstream with its reason', () => {
    const { http: _http, upstream: _upstream, ...tcp } = baseFlow;
    const flow: FlowRecord = { ...tcp, protocol: 'tcp', capture: 'tproxy', direction: 'inbound', listener: 'inbound:198.18.0.11:9000', verdict: 'error', reason: 'upstream_connect_refused', timings: { totalMs: 1.5 }, policies: [] };
    const text = flowDiagram(flow);
    expect(text).toContain('no upstream connection<br>upstream_connect_refused');
    golden('flow-tcp-refused.mmd', text);
  });

  it('a flow to a mesh VIP shows the DNS step, and the endpoint its route chose', () => {
    const toVip: FlowRecord = { ...baseFlow, listener: 'outbound:240.0.0.3:80', destination: { address: '240.0.0.3', port: 80 }, cluster: 'backend', upstream: { address: '198.18.0.21', port: 5000 }, policies: [] };
    const plain = flowDiagram(toVip);
    expect(plain).toContain('Note over Client: DNS: backend.mesh → 240.0.0.3<br>answered by the DNS proxy (15053)');
    expect(plain.indexOf('DNS:')).toBeLessThan(plain.indexOf('Client->>Kernel'));
    const routed = flowDiagram({ ...toVip, cluster: 'backend_version-v2', policies: [{ type: 'MeshHTTPRoute', name: 'split', action: 'route backend_version-v2' }] });
    expect(routed).toContain('DNS: a .mesh name → 240.0.0.3');
    expect(routed).toContain('participant Upstream as backend_version-v2<br>198.18.0.21:5000');
    expect(routed).toContain('MeshHTTPRoute split<br>route backend_version-v2');
    // Not a VIP: no DNS step.
    expect(flowDiagram(baseFlow)).not.toContain('DNS:');
  });

  it('draws a request answered by fault injection', () => {
    const flow: FlowRecord = {
      ...baseFlow,
      verdict: 'faulted',
      upstream: undefined,
      capture: 'explicit',
      http: { ...baseFlow.http!, status: 503, attempts: 1 },
      timings: { totalMs: 0.3 },
      policies: [{ type: 'MeshFaultInjection', name: 'abort-all', action: 'abort 503' }],
    };
    const text = flowDiagram(flow);
    expect(text).not.toContain('Kernel');
    expect(text).toContain('503 (faulted)');
  });

  it('draws a gRPC call as its HTTP/2 stream: service/method, grpc-status name and message', () => {
    const flow: FlowRecord = {
      ...baseFlow,
      verdict: 'forwarded',
      http: { ...baseFlow.http!, method: 'POST', path: '/shop.Cart/Add', attempts: 2, version: 'HTTP/2', grpc: { service: 'shop.Cart', method: 'Add', status: 14, message: 'backend down' } },
      policies: [{ type: 'MeshRetry', name: 'retry-cart', action: 'retry 1/2 after grpc-status 14' }],
    };
    const text = flowDiagram(flow);
    expect(text).toContain('Kernel: gRPC shop.Cart/Add to 198.18.0.11:9000');
    expect(text).toContain('Note over Proxy: HTTP/2 stream<br>Host: backend:9000');
    golden('flow-grpc.mmd', text);
  });
});

describe('mermaid text', () => {
  it('escapes what would end a statement or be read as HTML', () => {
    expect(escapeMermaidText('a;b #c <d>\ne')).toBe('a#59;b #35;c #lt;d#gt; e');
  });
});
