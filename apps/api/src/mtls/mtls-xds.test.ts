import type net from 'node:net';
import { AdsClient, loadProtoJsonCodec, startDataplane, type DataplaneHandle, type EnvoyProtoJsonCodec, type FlowRecord } from '@meshcap/core';
import { dataplaneYaml, resourcesYaml } from '@meshcap/core/testing';
import { freePort, tcpEchoServer, tcpExchange } from '@meshcap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

// The whole path on loopback: the control plane's builtin CA, certificates delivered over ADS as
// SDS secrets (subscribed to by name, as Envoy does), two meshcap dataplanes talking mTLS, and a
// mode change (STRICT → PERMISSIVE) pushed like any config change. The API shows the CA and each
// dataplane's certificate, never a key.

const WEB = '127.0.0.2';

async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const mesh = (mode: string): string => `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - { name: ca-1, type: builtin, mode: ${mode} }
`;

describe('mTLS through the control plane (builtin CA, ADS with SDS)', () => {
  let cp: TestControlPlane;
  let codec: EnvoyProtoJsonCodec;
  let target: string;
  let app: net.Server;
  const dps: Record<string, { client: AdsClient; engine?: DataplaneHandle }> = {};
  const port: Record<string, number> = {};

  async function run(name: string): Promise<void> {
    const res = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name } });
    const entry: { client: AdsClient; engine?: DataplaneHandle } = { client: undefined as unknown as AdsClient };
    entry.client = new AdsClient({
      target,
      node: { id: `default.${name}` },
      token: res.json<{ token: string }>().token,
      codec,
      backoff: { initialMs: 50, maxMs: 200 },
      apply: async (version, set) => {
        if (!entry.engine) entry.engine = await startDataplane({ xds: { mesh: 'default', name, version, resources: set }, admin: { port: 0 } });
        else await entry.engine.applyXds(version, set);
      },
    });
    dps[name] = entry;
    await eventually(() => entry.engine, `${name} running`);
  }

  const inbound = (from: string): FlowRecord | undefined => dps['backend']!.engine!.flows.recent().find((f) => f.direction === 'inbound' && f.client.address === from);

  beforeAll(async () => {
    codec = await loadProtoJsonCodec();
    cp = await startTestApp();
    target = await cp.app.xds.listen('127.0.0.1:0');
    const a = await tcpEchoServer();
    app = a.server;
    port['in'] = await freePort();
    port['out'] = await freePort();
    const yaml = `${mesh('STRICT')}---
${resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'backend', address: '127.0.0.1', inbound: [{ port: port['in']!, servicePort: a.port, service: 'backend' }] }),
  dataplaneYaml({ mesh: 'default', name: 'web', address: WEB, inbound: [{ port: await freePort(), servicePort: 1, service: 'web' }], outbound: [{ port: port['out']!, service: 'backend' }] }),
)}---
type: MeshTrafficPermission
name: web-to-backend
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
`;
    expect((await applyYaml(cp.app, yaml)).statusCode).toBe(200);
    await run('backend');
    await run('web');
  });

  afterAll(async () => {
    for (const d of Object.values(dps)) {
      d.client.close();
      await d.engine?.stop({ drainMs: 0 });
    }
    app?.close();
    await cp?.close();
  });

  it('STRICT: web reaches backend over mTLS with its SPIFFE identity; web’s address without its certificate is refused', async () => {
    expect(await tcpExchange(port['out']!, 'hi')).toBe('echo:hi');
    const f = await eventually(() => inbound('127.0.0.1'), 'the inbound flow');
    expect(f).toMatchObject({ verdict: 'forwarded', tls: { mode: 'mtls', verified: true } });
    expect(f.tls?.peer).toContain('spiffe://default/web');
    expect(await tcpExchange(port['in']!, 'spoof', { from: WEB })).toBe('');
    expect(await eventually(() => inbound(WEB), 'the refused flow')).toMatchObject({ verdict: 'denied' });
  });

  it('the API shows the CA and the certificate per dataplane, never a key', async () => {
    const m = await cp.app.inject({ url: '/api/meshes/default/mtls', headers: AUTH });
    expect(m.statusCode).toBe(200);
    expect(m.json()).toMatchObject({ enabled: true, mode: 'STRICT', identity: 'certificate', cas: [{ backend: 'ca-1', enabled: true }] });
    const c = await cp.app.inject({ url: '/api/meshes/default/dataplanes/web/certificate', headers: AUTH });
    expect(c.statusCode).toBe(200);
    expect(c.json()).toMatchObject({ backend: 'ca-1', mode: 'STRICT', certificate: { sans: ['spiffe://default/web', 'kuma://kuma.io/service/web'] } });
    expect(Date.parse(c.json<{ nextRotation: string }>().nextRotation)).toBeLessThan(Date.parse(c.json<{ certificate: { notAfter: string } }>().certificate.notAfter));
    expect(m.body + c.body).not.toMatch(/PRIVATE KEY/);
  });

  it('the listeners of an mTLS dataplane are listed as it runs them (the dump holds no key to decode TLS with)', async () => {
    const res = await cp.app.inject({ url: '/api/meshes/default/dataplanes/backend/listeners', headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: { name: string; direction: string }[] }>().items.some((l) => l.direction === 'inbound' && l.name.startsWith('inbound:') && !l.name.includes('passthrough'))).toBe(true);
    expect((await cp.app.inject({ url: '/api/meshes/default/dataplanes/web/listeners', headers: AUTH })).statusCode).toBe(200);
  });

  it('PERMISSIVE, pushed like any change: the plaintext client gets through, recorded as plaintext', async () => {
    expect((await applyYaml(cp.app, mesh('PERMISSIVE'))).statusCode).toBe(200);
    await eventually(async () => (await tcpExchange(port['in']!, 'plain', { from: WEB })) === 'echo:plain', 'plaintext accepted');
    const f = await eventually(() => dps['backend']!.engine!.flows.recent().find((x) => x.client.address === WEB && x.verdict === 'forwarded'), 'the plaintext flow');
    expect(f.tls).toEqual({ mode: 'plaintext', verified: false });
  });
});
