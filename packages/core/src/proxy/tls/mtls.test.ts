import { spawn } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tcpEchoServer, tcpExchange } from '@meshcap/testkit';
import type { FlowRecord } from '../../flows/index.ts';
import { parseResources } from '../../model/index.ts';
import { createBuiltinCa, issueDataplaneCertificate, type CaMaterial, type IssuedCertificate } from '../../mtls/ca.ts';
import { mtlsSecrets, type MtlsMode } from '../../mtls/envoy.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import { startDataplane, type DataplaneHandle } from '../engine.ts';
import { dataplaneYaml, resourcesYaml } from '../../testing.ts';

// mTLS on real loopback traffic between two meshcap dataplanes run from the Envoy resources the
// control plane sends (listeners, clusters and SDS secrets from a builtin CA). `web` (127.0.0.2)
// calls `backend` through its outbound; a plain TCP client sending from web's own address and
// `openssl s_client` without a mesh certificate play the impostors.

const WEB = '127.0.0.2';
const HOUR = 3_600_000;

/** `openssl s_client` with no client certificate; resolves with its exit code and output. */
function opensslNoCert(port: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', 'kuma', '-quiet', '-no_ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.stdin.write('hello\n');
    const t = setTimeout(() => p.kill(), 5_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in 2 s');
}

describe('mTLS between dataplanes (builtin CA, SDS, STRICT and PERMISSIVE)', () => {
  let app: net.Server;
  let httpApp: http.Server;
  let backend: DataplaneHandle;
  let web: DataplaneHandle;
  let ca: CaMaterial;
  const leaves: Record<string, IssuedCertificate> = {};
  const port: Record<string, number> = {};
  let pc: PolicyCompiler;
  let version = 0;

  function resources(name: string, mode: MtlsMode): XdsResourceSet {
    const set = xdsResourcesOf(pc.compile('default', name), { mtls: { mesh: 'default', mode } });
    return { ...set, secrets: mtlsSecrets('default', leaves[name]!, [ca.certPem]) };
  }

  async function push(mode: MtlsMode): Promise<void> {
    version++;
    await backend.applyXds(`v${version}`, resources('backend', mode));
    await web.applyXds(`v${version}`, resources('web', mode));
  }

  /** Oldest first (recent() lists the newest first). */
  const inboundFlows = (): FlowRecord[] => backend.flows.recent().filter((f) => f.direction === 'inbound').reverse();
  /** The first inbound flow published after `before` others, from `from` (web's own connections come from 127.0.0.1 in explicit mode). */
  const newInbound = async (before: number, from = '127.0.0.1'): Promise<FlowRecord> => until(() => inboundFlows().slice(before).find((f) => f.client.address === from));

  beforeAll(async () => {
    const a = await tcpEchoServer();
    app = a.server;
    port['in'] = await freePort();
    port['out'] = await freePort();
    port['inHttp'] = await freePort();
    port['outHttp'] = await freePort();
    httpApp = http.createServer((req, res) => res.end(`hi ${req.url}`));
    await new Promise<void>((r) => httpApp.listen(0, '127.0.0.1', () => r()));
    port['httpApp'] = (httpApp.address() as AddressInfo).port;
    pc = new PolicyCompiler();
    pc.applyAll(
      parseResources(`
${resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'backend',
    address: '127.0.0.1',
    inbound: [
      { port: port['in']!, servicePort: a.port, service: 'backend', protocol: 'tcp' },
      { port: port['inHttp']!, servicePort: port['httpApp']!, service: 'backend-http', protocol: 'http' },
    ],
  }),
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: WEB,
    inbound: [{ port: await freePort(), servicePort: 1, service: 'web', tags: { version: 'v1' } }],
    outbound: [
      { port: port['out']!, service: 'backend' },
      { port: port['outHttp']!, service: 'backend-http' },
    ],
  }),
)}---
type: MeshTrafficPermission
name: web-to-backend
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
---
type: MeshTrafficPermission
name: v1-to-backend-http
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend-http }
  from:
    - { targetRef: { kind: MeshSubset, tags: { version: v1 } }, default: { action: Allow } }
`),
    );
    ca = await createBuiltinCa({ mesh: 'default', backend: 'ca-1', rsaBits: 2048, expirationMs: 24 * HOUR });
    leaves['backend'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['backend', 'backend-http'], tags: { 'kuma.io/service': ['backend', 'backend-http'] }, expirationMs: HOUR });
    leaves['web'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['web'], tags: { 'kuma.io/service': ['web'], version: ['v1'] }, expirationMs: HOUR });
    const start = (name: string): Promise<DataplaneHandle> => startDataplane({ xds: { mesh: 'default', name, version: 'v0', resources: resources(name, 'STRICT') }, admin: { port: 0 } });
    backend = await start('backend');
    web = await start('web');
  });

  afterAll(async () => {
    await Promise.all([backend?.stop({ drainMs: 0 }), web?.stop({ drainMs: 0 })]);
    app?.close();
    httpApp?.close();
  });

  it('STRICT: the real dataplane passes with its verified identity', async () => {
    const before = inboundFlows().length;
    expect(await tcpExchange(port['out']!, 'from-web')).toBe('echo:from-web');
    const f = await newInbound(before);
    expect(f.verdict).toBe('forwarded');
    expect(f.tls).toMatchObject({ mode: 'mtls', verified: true, version: 'TLSv1.3' });
    expect(f.tls?.peer).toContain('spiffe://default/web');
    expect(f.tls?.cipher).toMatch(/^TLS_/);
    expect(f.policies).toContainEqual({ type: 'MeshTrafficPermission', name: 'web-to-backend', action: 'allow' });
    const out = await until(() => web.flows.recent().find((x) => x.direction === 'outbound'));
    expect(out.tls).toMatchObject({ mode: 'mtls', verified: true, peer: ['spiffe://default/backend', 'spiffe://default/backend-http', 'kuma://kuma.io/service/backend', 'kuma://kuma.io/service/backend-http'] });
  });

  it('new connections resume the TLS session (Envoy-named ssl stats), and both sides still verify the identities', async () => {
    const sslStat = async (name: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${web.admin!.port}/stats`)).text();
      return [...text.matchAll(new RegExp(`^cluster\\..*\\.ssl\\.${name}: (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    };
    const [handshakes, reused] = [await sslStat('handshake'), await sslStat('session_reused')];
    let before = 0;
    for (const n of [1, 2, 3]) {
      before = inboundFlows().length;
      expect(await tcpExchange(port['out']!, `again-${n}`)).toBe(`echo:again-${n}`);
    }
    expect((await sslStat('handshake')) - handshakes).toBe(3);
    // The first one in this test may already resume the session of the test before; the later ones must.
    expect((await sslStat('session_reused')) - reused).toBeGreaterThanOrEqual(2);
    const last = await newInbound(before);
    expect(last.tls).toMatchObject({ mode: 'mtls', verified: true });
    expect(last.tls?.peer).toContain('spiffe://default/web');
    const out = await until(() => web.flows.recent().find((x) => x.direction === 'outbound'));
    expect(out.tls).toMatchObject({ mode: 'mtls', verified: true });
    expect(out.tls?.peer).toContain('spiffe://default/backend');
  });

  it('HTTP over mTLS: permission by a verified tag (kuma://version/v1), the request passes with its identity', async () => {
    const res = await fetch(`http://127.0.0.1:${port['outHttp']}/x`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hi /x');
    const f = await until(() => backend.flows.recent().find((x) => x.direction === 'inbound' && x.protocol === 'http' && x.http?.path === '/x'));
    expect(f.tls).toMatchObject({ mode: 'mtls', verified: true });
    expect(f.policies).toContainEqual({ type: 'MeshTrafficPermission', name: 'v1-to-backend-http', action: 'allow' });
  });

  it('/config_dump shows the secrets in force with the private key redacted, as Envoy does', async () => {
    const dump = await (await fetch(`http://127.0.0.1:${backend.admin!.port}/config_dump`)).text();
    expect(dump).toContain('identity_cert:secret:default');
    expect(dump).toContain('[redacted]');
    expect(dump).not.toContain(Buffer.from(leaves['backend']!.keyPem).toString('base64'));
  });

  it('STRICT: a plain TCP client sending from the dataplane’s own address is refused at the handshake, as a denied flow', async () => {
    const before = inboundFlows().length;
    expect(await tcpExchange(port['in']!, 'spoofed', { from: WEB })).toBe('');
    const f = await newInbound(before, WEB);
    expect(f.client.address).toBe(WEB);
    expect(f.verdict).toBe('denied');
    expect(f.reason).toMatch(/^tls_handshake_failed/);
  });

  it('STRICT: openssl s_client without a mesh certificate is refused', async () => {
    const before = inboundFlows().length;
    const r = await opensslNoCert(port['in']!);
    expect(r.out).not.toContain('echo:');
    expect(r.out).toMatch(/alert|error/i);
    const f = await newInbound(before);
    expect(f.verdict).toBe('denied');
    expect(f.reason).toMatch(/^tls_handshake_failed|^tls_client_certificate_required/);
  });

  it('PERMISSIVE: both get through and the flows say which was which', async () => {
    await push('PERMISSIVE');
    let before = inboundFlows().length;
    expect(await tcpExchange(port['in']!, 'plain', { from: WEB })).toBe('echo:plain');
    const plain = await newInbound(before, WEB);
    expect(plain.verdict).toBe('forwarded');
    expect(plain.tls).toEqual({ mode: 'plaintext', verified: false });
    before = inboundFlows().length;
    expect(await tcpExchange(port['out']!, 'secure')).toBe('echo:secure');
    const secure = await newInbound(before);
    expect(secure.tls).toMatchObject({ mode: 'mtls', verified: true });
    // A plaintext client no dataplane owns: address identity, no rule for it, denied.
    before = inboundFlows().length;
    expect(await tcpExchange(port['in']!, 'stranger', { from: '127.0.0.9' })).toBe('');
    expect((await newInbound(before, '127.0.0.9')).verdict).toBe('denied');
  });

  it('rotations under steady load (short-lived certificates re-issued while requests run) lose no request', async () => {
    await push('STRICT');
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        const n = sent++;
        const got = await tcpExchange(port['out']!, `r${n}`);
        if (got !== `echo:r${n}`) failures.push(`r${n}: ${JSON.stringify(got)}`);
      }
    })();
    for (let i = 0; i < 3; i++) {
      leaves['backend'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['backend', 'backend-http'], tags: { 'kuma.io/service': ['backend', 'backend-http'] }, expirationMs: 60_000 });
      leaves['web'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['web'], tags: { 'kuma.io/service': ['web'], version: ['v1'] }, expirationMs: 60_000 });
      await push('STRICT');
      const at = sent;
      await until(() => (sent > at + 5 ? true : undefined));
    }
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(15);
  });

  it('a rotated certificate applies to new connections without dropping open ones', async () => {
    await push('STRICT');
    const open = net.connect({ host: '127.0.0.1', port: port['out']! });
    await new Promise((r) => open.once('connect', r));
    const first = await new Promise<string>((resolve) => {
      open.once('data', (d) => resolve(d.toString()));
      open.write('before');
    });
    expect(first).toBe('echo:before');
    const old = leaves['backend']!.serial;
    leaves['backend'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['backend', 'backend-http'], tags: { 'kuma.io/service': ['backend', 'backend-http'] }, expirationMs: HOUR });
    leaves['web'] = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['web'], tags: { 'kuma.io/service': ['web'], version: ['v1'] }, expirationMs: HOUR });
    await push('STRICT');
    const after = await new Promise<string>((resolve) => {
      open.once('data', (d) => resolve(d.toString()));
      open.write('after');
    });
    expect(after).toBe('echo:after');
    open.destroy();
    // New connections get the new certificate (the serial the server presents).
    const serial = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: port['in']!, cert: leaves['web']!.certPem, key: leaves['web']!.keyPem, ca: ca.certPem, ALPNProtocols: ['kuma'], checkServerIdentity: () => undefined }, () => {
        resolve(s.getPeerCertificate().serialNumber);
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(serial.toLowerCase()).toBe(leaves['backend']!.serial.replace(/^0+/, '').toLowerCase().padStart(serial.length, '0'));
    expect(serial.toLowerCase()).not.toBe(old.toLowerCase());
  });
});
