import { freePort } from '@meshcap/testkit';
import { createBuiltinCa, parseResources, startDataplane, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToControlPlane, controlPlaneCa, parseControlPlaneUrl, type DataplaneConnection } from '@meshcap/dataplane';
import { openStore, type Store } from '../store/index.ts';
import { AdsServer } from '../xds-server/index.ts';
import { TEST_TOKEN } from '../test-support.ts';
import { controlPlaneTls } from './cp-tls.ts';
import { startControlPlane, type RunningControlPlane } from './start.ts';

/** Opens a TLS connection to 127.0.0.1:port trusting `ca` only; resolves whether the certificate verified. */
function verifies(port: number, ca: string, servername?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('control plane TLS: the API, the dataplane channel and ADS for remote dataplanes', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-cp-tls-'));
  let store: Store;
  let cp: RunningControlPlane;
  let caPem: string;
  let handle: DataplaneHandle | undefined;
  let conn: DataplaneConnection | undefined;

  beforeAll(async () => {
    // A chain file as a user would give one: the server certificate, then its CA.
    store = await openStore({ dataDir: join(dir, 'scratch') });
    const issued = await controlPlaneTls(store, { hosts: ['127.0.0.1'] });
    caPem = issued.caPem;
    writeFileSync(join(dir, 'cp.pem'), `${issued.certPem}\n${issued.caPem}\n`);
    writeFileSync(join(dir, 'cp.key'), issued.keyPem, { mode: 0o600 });
    cp = await startControlPlane({
      dataDir: join(dir, 'cp'),
      listen: '127.0.0.1:0',
      socket: false,
      adminToken: TEST_TOKEN,
      gui: false,
      tls: { certFile: join(dir, 'cp.pem'), keyFile: join(dir, 'cp.key') },
    });
  });
  afterAll(async () => {
    await conn?.close({ flushMs: 0 });
    await handle?.stop({ drainMs: 0 });
    await cp?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one control plane CA in the store: replicas starting together agree on it, each certificate chains to it', async () => {
    const [a, b] = await Promise.all([controlPlaneTls(store, { hosts: ['198.18.30.1'] }), controlPlaneTls(store, { hosts: ['198.18.30.2'], extraSans: ['cp.internal'] })]);
    expect(a.caPem).toBe(caPem);
    expect(b.caPem).toBe(caPem);
    expect(a.certPem).not.toBe(b.certPem);
    const sans = new (await import('node:crypto')).X509Certificate(b.certPem).subjectAltName ?? '';
    expect(sans).toContain('IP Address:198.18.30.2');
    expect(sans).toContain('DNS:cp.internal');
    expect(sans).not.toContain('198.18.30.1');
  });

  it('serves the API over HTTPS and ADS over TLS, and hands out the CA to pin', async () => {
    expect(cp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const xds = cp.xdsAddresses.find((a) => !a.startsWith('unix:'))!;
    expect(cp.app.xds.tlsAddresses.has(xds)).toBe(true);
    expect(await verifies(cp.address.port, caPem)).toBe(true);
    expect(await verifies(Number(xds.split(':').pop()), caPem)).toBe(true);
    // A CA the server was not issued by does not verify it.
    const other = await createBuiltinCa({ mesh: 'other', backend: 'x', rsaBits: 2048, expirationMs: 3_600_000 });
    expect(await verifies(cp.address.port, other.certPem)).toBe(false);
    expect(await controlPlaneCa([cp.url], undefined)).toBe(caPem);
  });

  it('connects a dataplane given only https:// (the CA fetched once and pinned), its token on the ADS call as metadata', async () => {
    const issued = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: { authorization: `Bearer ${TEST_TOKEN}` }, payload: { name: 'web' } });
    const { token } = issued.json() as { token: string };
    const dataplane = parseResources(
      `type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: ${await freePort()}\n      servicePort: 9\n      tags: { kuma.io/service: web }\n`,
    )[0] as unknown as Dataplane;
    handle = await startDataplane({ dataplane, admin: false });
    const xds = cp.xdsAddresses.find((a) => !a.startsWith('unix:'))!;
    conn = await attachToControlPlane(handle, { url: cp.url, xds, token, dataplane, batchIntervalMs: 50 });
    await conn.waitConnected(10_000);
    await eventually(() => conn!.ads.stats.acks > 0 && handle!.version !== '', 'a config over ADS with TLS');
    expect(conn.ads.stats.target).toBe(xds);
    // The ACK reaches the server just after the dataplane applied the version.
    const status = await eventually(() => {
      const s = cp.app.dataplanes.statuses.get('default', 'web');
      return s.configVersion === handle!.version ? s : undefined;
    }, 'the ACK on the control plane');
    expect(status.configSource).toBe('xds');
  });

  it('refuses a dataplane that does not trust the control plane’s certificate', async () => {
    const other = await createBuiltinCa({ mesh: 'other', backend: 'x', rsaBits: 2048, expirationMs: 3_600_000 });
    const dataplane = parseResources(`type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: ${await freePort()}\n      servicePort: 9\n      tags: { kuma.io/service: web }\n`)[0] as unknown as Dataplane;
    const h = await startDataplane({ dataplane, admin: false });
    const xds = cp.xdsAddresses.find((a) => !a.startsWith('unix:'))!;
    const c = await attachToControlPlane(h, { url: cp.url, xds, token: 'mcdp_x_y', dataplane, caPem: other.certPem, backoff: { initialMs: 50, maxMs: 100 } });
    try {
      await eventually(() => c.ads.stats.connects >= 2 && c.stats().lastError, 'the refusals');
      expect(c.stats().connected).toBe(false);
      expect(c.stats().lastError).toMatch(/CERT|certificate/);
      expect(c.ads.stats.lastError ?? "").toMatch(/CERT|certificate|connect/i);
      expect(c.ads.stats.version).toBe('');
    } finally {
      await c.close({ flushMs: 0 });
      await h.stop({ drainMs: 0 });
    }
  });

  it('serves plaintext only on loopback and Unix sockets', async () => {
    expect(() => parseControlPlaneUrl('http://198.18.30.1:5681')).toThrow(/plaintext is only for loopback/);
    expect(parseControlPlaneUrl('http://127.0.0.1:5681')).toMatchObject({ tls: false });
    expect(parseControlPlaneUrl('https://198.18.30.1:5681')).toMatchObject({ host: '198.18.30.1', tls: true });
    const server = new AdsServer({ catalog: cp.app.catalog, tokens: cp.app.dataplaneTokens, statuses: cp.app.dataplanes.statuses, codec: await (await import('@meshcap/core')).loadProtoJsonCodec(), resources: { get: () => undefined } as never });
    try {
      await expect(server.listen('198.18.30.1:0')).rejects.toThrow(/plaintext is only served on loopback/);
      await expect(server.listen('0.0.0.0:0')).rejects.toThrow(/plaintext is only served on loopback/);
    } finally {
      await server.close();
    }
  });
});
