import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAdminToken, loadAdminToken } from '../auth/index.ts';
import { hostName } from '../plugins/app/security.ts';
import { AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

describe('same origin only, tokens, metrics', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestApp({ allowedHosts: ['cp.example.test'] });
  });
  afterAll(() => cp.close());

  it('refuses other origins and sends no CORS headers', async () => {
    const same = await cp.app.inject({ url: '/api/meshes', headers: { host: '127.0.0.1:5681', origin: 'http://127.0.0.1:5681' } });
    expect(same.statusCode).toBe(200);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
    const other = await cp.app.inject({ url: '/api/meshes', headers: { host: '127.0.0.1:5681', origin: 'http://evil.example' } });
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('MESHCAP_ERR_CROSS_ORIGIN');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await cp.app.inject({ method: 'OPTIONS', url: '/api/resources', headers: { host: '127.0.0.1:5681', origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const nullOrigin = await cp.app.inject({ url: '/api/meshes', headers: { host: '127.0.0.1:5681', origin: 'null' } });
    expect(nullOrigin.statusCode).toBe(403);
    const crossSite = await cp.app.inject({ url: '/api/meshes', headers: { host: '127.0.0.1:5681', 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.statusCode).toBe(403);
  });

  it('answers only to loopback names and the hosts it was given (no DNS rebinding)', async () => {
    expect((await cp.app.inject({ url: '/healthz', headers: { host: 'rebound.example:5681' } })).statusCode).toBe(403);
    for (const host of ['localhost:5681', '[::1]:5681', '127.0.0.1', 'cp.example.test:5681']) {
      expect((await cp.app.inject({ url: '/healthz', headers: { host } })).statusCode, host).toBe(200);
    }
    expect(hostName('[::1]:5681')).toBe('::1');
    expect(hostName('Example.COM:80')).toBe('example.com');
  });

  it('issues dataplane tokens (admin only), lists and revokes them', async () => {
    const post = (payload: object, headers: Record<string, string> = AUTH) => cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', payload, headers });
    expect((await post({ name: 'web' }, {})).statusCode).toBe(401);
    expect((await post({ name: 'Web!' })).json().issues[0].path).toBe('body.name');
    expect((await post({ name: 'web', mesh: 'nope' })).statusCode).toBe(404);
    const issued = (await post({ name: 'web' })).json();
    expect(issued).toMatchObject({ mesh: 'default', name: 'web', token: expect.stringMatching(/^mcdp_[0-9a-f]{16}_/) });
    expect(await cp.app.dataplaneTokens.verify(issued.token)).toMatchObject({ mesh: 'default', name: 'web' });
    const list = (await cp.app.inject({ url: '/api/tokens', headers: AUTH })).json();
    expect(list.items.filter((t: { kind: string }) => t.kind === 'dataplane')).toEqual([expect.objectContaining({ id: issued.id, name: 'web', revokedAt: null, expiresAt: expect.any(String) })]);
    // The secret is base64url, so it may itself hold '_': everything after the id.
    expect(JSON.stringify(list)).not.toContain(issued.token.split('_').slice(2).join('_'));
    expect((await cp.app.inject({ url: '/api/tokens' })).statusCode).toBe(401);
    expect((await cp.app.inject({ method: 'DELETE', url: `/api/tokens/${issued.id}`, headers: AUTH })).json()).toEqual({ id: issued.id, revoked: true });
    expect(await cp.app.dataplaneTokens.verify(issued.token)).toBeUndefined();
    expect((await cp.app.inject({ method: 'DELETE', url: `/api/tokens/${issued.id}`, headers: AUTH })).statusCode).toBe(404);
    // A dataplane token is not an admin token.
    const other = (await post({ name: 'api' })).json();
    expect((await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', payload: { name: 'x' }, headers: { authorization: `Bearer ${other.token}` } })).statusCode).toBe(401);
  });

  it('exposes Prometheus metrics', async () => {
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'web' }, [], 2);
    const res = await cp.app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(res.body).toContain('# TYPE meshcap_cp_config_pushes_total counter');
    expect(res.body).toContain('meshcap_cp_flows_dropped_total{where="dataplane",mesh="default",dataplane="web"} 2');
    expect(res.body).toMatch(/^process_resident_memory_bytes \d+$/m);
  });
});

describe('the admin token', () => {
  it('is created once in the data directory (0600), then read back; env and file take precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-token-'));
    try {
      const first = loadAdminToken({ dataDir: dir });
      expect(first).toMatchObject({ created: true, origin: 'data-dir' });
      expect(statSync(first.path!).mode & 0o777).toBe(0o600);
      const again = loadAdminToken({ dataDir: dir });
      expect(again).toMatchObject({ created: false, token: first.token });
      expect(findAdminToken({ dataDir: dir })).toBe(first.token);
      expect(loadAdminToken({ dataDir: dir, env: 'from-the-environment-0123' }).token).toBe('from-the-environment-0123');
      expect(loadAdminToken({ dataDir: dir, file: first.path! }).origin).toBe('file');
      expect(() => loadAdminToken({ dataDir: dir, env: 'short' })).toThrow(/shorter than 16/);
      expect(() => loadAdminToken({ dataDir: dir, file: join(dir, 'missing') })).toThrow(/cannot read/);
      expect(readFileSync(first.path!, 'utf8').trim()).toBe(first.token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('admin tokens expire and can be revoked', () => {
  it('issued admin tokens work until their validFor, then answer 401 TOKEN_EXPIRED; revoked ones 401; the default lifetime is Kuma’s 10 years', async () => {
    const cp = await startTestApp();
    try {
      const issue = async (validFor?: string) => {
        const res = await cp.app.inject({ method: 'POST', url: '/api/tokens/admin', headers: AUTH, payload: { name: 'ci', ...(validFor ? { validFor } : {}) } });
        expect(res.statusCode).toBe(200);
        return res.json<{ token: string; id: string; expiresAt: string }>();
      };
      const apply = (token: string) => cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: { authorization: `Bearer ${token}` }, payload: { name: 'web' } });
      const brief = await issue('1s');
      expect((await apply(brief.token)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 1_100));
      const expired = await apply(brief.token);
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toMatchObject({ code: 'MESHCAP_ERR_TOKEN_EXPIRED', message: expect.stringContaining(brief.id) });

      const other = await issue();
      expect(Date.parse(other.expiresAt) - Date.now()).toBeGreaterThan(87_599 * 3600_000);
      expect((await apply(other.token)).statusCode).toBe(200);
      expect((await cp.app.inject({ method: 'DELETE', url: `/api/tokens/${other.id}`, headers: AUTH })).statusCode).toBe(200);
      const revoked = await apply(other.token);
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json().message).toContain('revoked');
      expect((await cp.app.inject({ method: 'POST', url: '/api/tokens/admin', headers: AUTH, payload: { name: 'x', validFor: 'soon' } })).json().issues[0].path).toBe('body.validFor');
    } finally {
      await cp.close();
    }
  });

  it('the bootstrap token is recorded at first start with its expiry (configurable), survives restarts with it, and can be revoked', async () => {
    let cp = await startTestApp({ adminTokenValidForMs: 1_500 });
    const dataDir = cp.dataDir;
    try {
      const list = (await cp.app.inject({ url: '/api/tokens', headers: AUTH })).json<{ items: Array<{ id: string; kind: string; expiresAt: string }> }>();
      const boot = list.items.find((t) => t.kind === 'admin')!;
      expect(boot.id).toMatch(/^adm-[0-9a-f]{12}$/);
      // A restart keeps the first expiry (it does not renew a token by restarting).
      await cp.close({ keepData: true });
      cp = await startTestApp({ dataDir, adminTokenValidForMs: 1_500 });
      const again = (await cp.app.inject({ url: '/api/tokens', headers: AUTH })).json<{ items: Array<{ id: string; expiresAt: string }> }>();
      expect(again.items.find((t) => t.id === boot.id)!.expiresAt).toBe(boot.expiresAt);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(boot.expiresAt) - Date.now()) + 5_100)); // past expiry and the 5 s cache
      const res = await cp.app.inject({ url: '/api/tokens', headers: AUTH });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('MESHCAP_ERR_TOKEN_EXPIRED');
    } finally {
      await cp.close();
    }
    const fresh = await startTestApp();
    try {
      const id = (await fresh.app.inject({ url: '/api/tokens', headers: AUTH })).json<{ items: Array<{ id: string; kind: string }> }>().items.find((t) => t.kind === 'admin')!.id;
      expect((await fresh.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: AUTH })).statusCode).toBe(200);
      expect((await fresh.app.inject({ url: '/api/tokens', headers: AUTH })).statusCode).toBe(401);
    } finally {
      await fresh.close();
    }
  }, 20_000);
});

describe('failed authentication is rate-limited per client', () => {
  it('N failures from one address → 429 with a coded error and retry-after, even with the right token; other clients unaffected; the window passes', async () => {
    const cp = await startTestApp({ authFailures: { limit: 5, windowMs: 1_500 } });
    try {
      const call = (remoteAddress: string, token: string) => cp.app.inject({ url: '/api/tokens', remoteAddress, headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 5; i++) expect((await call('198.18.9.1', `guess-${i}-0123456789`)).statusCode).toBe(401);
      const limited = await call('198.18.9.1', 'guess-6-0123456789');
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'MESHCAP_ERR_TOO_MANY_AUTH_FAILURES', message: expect.stringContaining('198.18.9.1') });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // A correct guess is not told apart while limited.
      expect((await call('198.18.9.1', AUTH.authorization.slice(7))).statusCode).toBe(429);
      // Another client, and read routes, are unaffected.
      expect((await call('198.18.9.2', AUTH.authorization.slice(7))).statusCode).toBe(200);
      expect((await cp.app.inject({ url: '/api/meshes', remoteAddress: '198.18.9.1' })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 1_600));
      expect((await call('198.18.9.1', AUTH.authorization.slice(7))).statusCode).toBe(200);
    } finally {
      await cp.close();
    }
  });
});
