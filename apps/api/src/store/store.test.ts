import type { Resource } from '@meshcap/core';
import { inCI } from '@meshcap/testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';
import { testPostgres } from './test-postgres.ts';

interface Backend {
  /** Opens the store at the same place every time (a "restart" is close + open). */
  open: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const dp = (name: string, address = '198.18.0.10', mesh = 'default'): Resource => ({
  type: 'Dataplane',
  mesh,
  name,
  networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': name } }], outbound: [] },
});
const mesh = (name: string): Resource => ({ type: 'Mesh', name });
const fault = (name: string): Resource => ({ type: 'MeshFaultInjection', mesh: 'default', name, spec: { targetRef: { kind: 'Mesh' } } });

/** The same behaviour, checked on every backend. */
function storeSuite(name: string, backendFactory: () => Promise<Backend>): void {
  describe(`store on ${name}`, () => {
    let backend: Backend;
    let store: Store;
    beforeAll(async () => {
      backend = await backendFactory();
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
      await backend?.cleanup();
    });

    it('creates resources and lists them by type and mesh', async () => {
      const changes = await store.writeResources({
        put: [
          { resource: mesh('default'), source: 'type: Mesh\nname: default\n' },
          { resource: dp('web'), source: 'web yaml' },
          { resource: dp('api', '198.18.0.11'), source: 'api yaml' },
          { resource: dp('db', '198.18.0.12', 'prod'), source: 'db yaml' },
        ],
      });
      expect(changes.map((c) => `${c.action} ${c.type} ${c.mesh}/${c.name} v${c.version}`)).toEqual([
        'created Mesh /default v1',
        'created Dataplane default/web v1',
        'created Dataplane default/api v1',
        'created Dataplane prod/db v1',
      ]);
      expect((await store.listResources({ type: 'Dataplane', mesh: 'default' })).map((r) => r.name)).toEqual(['api', 'web']);
      expect((await store.listResources({ mesh: 'prod' })).map((r) => r.name)).toEqual(['db']);
      expect(await store.listResources()).toHaveLength(4);
      const web = await store.getResource({ type: 'Dataplane', mesh: 'default', name: 'web' });
      expect(web).toMatchObject({ version: 1, source: 'web yaml', resource: dp('web') });
      expect(web?.resource.creationTime).toBe(web?.createdAt);
      expect(await store.getResource({ type: 'Dataplane', mesh: 'default', name: 'nope' })).toBeUndefined();
    });

    it('versions updates and leaves unchanged resources alone', async () => {
      const before = await store.getResource({ type: 'Dataplane', mesh: 'default', name: 'web' });
      const [same] = await store.writeResources({ put: [{ resource: { ...dp('web'), creationTime: 'ignored' }, source: 'web yaml again' }] });
      expect(same).toMatchObject({ action: 'unchanged', version: 1 });
      const [changed] = await store.writeResources({ put: [{ resource: dp('web', '198.18.0.99'), source: 'web v2' }] });
      expect(changed).toMatchObject({ action: 'updated', version: 2 });
      const after = await store.getResource({ type: 'Dataplane', mesh: 'default', name: 'web' });
      expect(after).toMatchObject({ version: 2, source: 'web v2', createdAt: before?.createdAt });
      expect((after?.resource.networking as { address: string }).address).toBe('198.18.0.99');
    });

    it('writes a batch all or nothing', async () => {
      const revision = await store.revision();
      // The second resource cannot be serialised: the first, already written in the transaction, must roll back.
      const poisoned = { ...dp('poison'), big: 1n } as unknown as Resource;
      await expect(store.writeResources({ put: [{ resource: dp('fresh'), source: '' }, { resource: poisoned, source: '' }] })).rejects.toThrow();
      expect(await store.getResource({ type: 'Dataplane', mesh: 'default', name: 'fresh' })).toBeUndefined();
      expect(await store.revision()).toBe(revision);
    });

    it('keeps toggles per dataplane and policy', async () => {
      await store.writeResources({ put: [{ resource: fault('slow'), source: '' }] });
      await store.setToggle({ mesh: 'default', dataplane: 'web', policyType: 'MeshFaultInjection', policyName: 'slow', enabled: false });
      await store.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'slow', enabled: false });
      const on = await store.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'slow', enabled: true });
      expect(on.enabled).toBe(true);
      expect((await store.listToggles({ mesh: 'default' })).map((t) => `${t.dataplane} ${t.policyName} ${t.enabled}`)).toEqual([
        'api slow true',
        'web slow false',
      ]);
      expect(await store.listToggles({ dataplane: 'web' })).toHaveLength(1);
    });

    it('deletes resources with the toggles that name them', async () => {
      await store.writeResources({ put: [{ resource: dp('gone'), source: '' }] });
      await store.setToggle({ mesh: 'default', dataplane: 'gone', policyType: 'MeshFaultInjection', policyName: 'slow', enabled: false });
      const changes = await store.writeResources({
        delete: [
          { type: 'Dataplane', mesh: 'default', name: 'gone' },
          { type: 'Dataplane', mesh: 'default', name: 'never-was' },
        ],
      });
      expect(changes.map((c) => c.action)).toEqual(['deleted', 'absent']);
      expect(await store.listToggles({ dataplane: 'gone' })).toEqual([]);
      await store.writeResources({ put: [{ resource: fault('temp'), source: '' }] });
      await store.setToggle({ mesh: 'default', dataplane: 'web', policyType: 'MeshFaultInjection', policyName: 'temp', enabled: false });
      await store.writeResources({ delete: [{ type: 'MeshFaultInjection', mesh: 'default', name: 'temp' }] });
      expect((await store.listToggles({ dataplane: 'web' })).map((t) => t.policyName)).toEqual(['slow']);
    });

    it('stores dataplane tokens and revokes them', async () => {
      const rec = await store.createToken({ id: 'abc123', kind: 'dataplane', mesh: 'default', name: 'web', secretHash: 'f'.repeat(64) });
      expect(rec.revokedAt).toBeNull();
      expect(await store.getToken('abc123')).toEqual(rec);
      await expect(store.createToken({ id: 'abc123', kind: 'dataplane', mesh: 'default', name: 'x', secretHash: '' })).rejects.toThrow();
      expect(await store.revokeToken('abc123')).toBe(true);
      expect(await store.revokeToken('abc123')).toBe(false);
      expect((await store.getToken('abc123'))?.revokedAt).toEqual(expect.any(String));
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['abc123']);
    });

    it('keeps config version counters per dataplane', async () => {
      await store.saveConfigVersions([
        { mesh: 'default', dataplane: 'web', counter: 3, hash: 'a'.repeat(64) },
        { mesh: 'default', dataplane: 'api', counter: 1, hash: 'b'.repeat(64) },
      ]);
      await store.saveConfigVersions([{ mesh: 'default', dataplane: 'web', counter: 4, hash: 'c'.repeat(64) }], [{ mesh: 'default', dataplane: 'api' }]);
      expect(await store.listConfigVersions()).toEqual([{ mesh: 'default', dataplane: 'web', counter: 4, hash: 'c'.repeat(64) }]);
    });

    it('keeps one CA per mesh and backend: the first stored wins', async () => {
      expect(await store.getMeshCa('default', 'ca-1')).toBeUndefined();
      const first = await store.putMeshCaIfAbsent({ mesh: 'default', backend: 'ca-1', certPem: 'CERT-A', keyPem: 'KEY-A' });
      const second = await store.putMeshCaIfAbsent({ mesh: 'default', backend: 'ca-1', certPem: 'CERT-B', keyPem: 'KEY-B' });
      expect(first).toMatchObject({ certPem: 'CERT-A', keyPem: 'KEY-A' });
      expect(second).toEqual(first);
      expect(await store.getMeshCa('default', 'ca-1')).toEqual(first);
    });

    it('keeps which replica holds each dataplane: a replica holds what it last said, a failover takes rows over, no revision bump', async () => {
      const before = await store.revision();
      await store.syncDataplaneSessions({ id: 'r-a', url: 'https://198.18.30.10:5681' }, [
        { mesh: 'default', name: 'web', connectedAt: '2026-12-03T10:00:00.000Z', configVersion: '3-abc' },
        { mesh: 'default', name: 'db', connectedAt: null, configVersion: null },
      ]);
      await store.syncDataplaneSessions({ id: 'r-b', url: 'https://198.18.30.11:5681' }, [{ mesh: 'default', name: 'web', connectedAt: '2026-12-03T10:00:05.000Z', configVersion: '3-abc' }]);
      expect((await store.listDataplaneSessions()).map((s) => [s.name, s.replica, s.configVersion])).toEqual([
        ['db', 'r-a', null],
        ['web', 'r-b', '3-abc'],
      ]);
      // A no longer holds db; B's row for web is not A's to drop.
      await store.syncDataplaneSessions({ id: 'r-a', url: 'https://198.18.30.10:5681' }, []);
      expect((await store.listDataplaneSessions()).map((s) => `${s.name}@${s.replica}`)).toEqual(['web@r-b']);
      // A holding nothing is still a replica (it may keep flows of a dataplane that moved away), until it leaves.
      expect((await store.listControlPlaneReplicas()).map((r) => [r.id, r.url])).toEqual([
        ['r-a', 'https://198.18.30.10:5681'],
        ['r-b', 'https://198.18.30.11:5681'],
      ]);
      await store.leaveControlPlaneReplicas('r-b');
      expect((await store.listControlPlaneReplicas()).map((r) => r.id)).toEqual(['r-a']);
      expect(await store.listDataplaneSessions()).toEqual([]);
      expect(await store.revision()).toBe(before);
    });

    it('keeps config dump history: the first copy of a version wins, the newest N per dataplane stay', async () => {
      const dump = (v: string) => ({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', version_info: v }] });
      for (const [i, v] of ['1-a', '2-b', '3-c'].entries()) await store.saveConfigDump('default', 'web', { version: v, recordedAt: `2026-12-03T10:00:0${i}.000Z`, dump: dump(v) }, 2);
      await store.saveConfigDump('default', 'web', { version: '3-c', recordedAt: '2026-12-03T10:00:09.000Z', dump: dump('other') }, 2);
      const kept = await store.listConfigDumps('2026-12-03T00:00:00.000Z');
      expect(kept.map((r) => [r.dataplane, r.record.version, r.record.recordedAt])).toEqual([
        ['web', '2-b', '2026-12-03T10:00:01.000Z'],
        ['web', '3-c', '2026-12-03T10:00:02.000Z'],
      ]);
      expect(kept[1]!.record.dump).toEqual(dump('3-c'));
      expect((await store.listConfigDumps('2026-12-03T10:00:02.000Z')).map((r) => r.record.version)).toEqual(['3-c']);
      await store.forgetConfigDumps('default', 'web');
      expect(await store.listConfigDumps('')).toEqual([]);
    });

    it('bumps the revision on every write', async () => {
      const r0 = await store.revision();
      await store.setToggle({ mesh: 'default', dataplane: 'web', policyType: 'MeshFaultInjection', policyName: 'slow', enabled: true });
      expect(await store.revision()).toBe(r0 + 1);
    });

    it('keeps resources, toggles and tokens across a restart', async () => {
      const resources = await store.listResources();
      const toggles = await store.listToggles();
      await store.close();
      store = await backend.open();
      expect(await store.listResources()).toEqual(resources);
      expect(await store.listToggles()).toEqual(toggles);
      expect(await store.getToken('abc123')).toMatchObject({ name: 'web' });
      expect(await store.listConfigVersions()).toHaveLength(1);
      expect(await store.getMeshCa('default', 'ca-1')).toMatchObject({ certPem: 'CERT-A' });
    });

    it('gives each service a stable virtual IP, unique across meshes, kept across a restart', async () => {
      const first = await store.allocateVips([
        { mesh: 'default', service: 'web' },
        { mesh: 'default', service: 'api' },
        { mesh: 'default', service: 'web' },
      ]);
      expect(first).toEqual([
        { mesh: 'default', service: 'api', address: '240.0.0.2' },
        { mesh: 'default', service: 'web', address: '240.0.0.1' },
      ]);
      // Nothing new to give: no write at all.
      const r0 = await store.revision();
      expect(await store.allocateVips([{ mesh: 'default', service: 'api' }])).toEqual(first);
      expect(await store.revision()).toBe(r0);
      // The same service name in another mesh is another service.
      const second = await store.allocateVips([{ mesh: 'prod', service: 'web' }, { mesh: 'default', service: 'web' }]);
      expect(second).toEqual([...first, { mesh: 'prod', service: 'web', address: '240.0.0.3' }]);
      expect(await store.revision()).toBe(r0 + 1);
      await store.close();
      store = await backend.open();
      expect(await store.listVips()).toEqual(second);
      expect(await store.allocateVips([{ mesh: 'default', service: 'db' }])).toContainEqual({ mesh: 'default', service: 'db', address: '240.0.0.4' });
    });
  });
}

storeSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-store-'));
  return { open: () => openStore({ dataDir: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const pgServer = await testPostgres();
if (pgServer.ok) {
  storeSuite('PostgreSQL', async () => ({ open: () => openStore({ url: pgServer.url, dataDir: '/nonexistent' }), cleanup: pgServer.drop }));
  describe('store on PostgreSQL, several replicas', () => {
    it('migrates once when replicas open the same fresh database at the same time', async () => {
      const extra = await testPostgres();
      if (!extra.ok) throw new Error(extra.reason);
      try {
        const stores = await Promise.all([1, 2, 3].map(() => openStore({ url: extra.url, dataDir: '/nonexistent' })));
        await stores[0]!.writeResources({ put: [{ resource: mesh('shared'), source: '' }] });
        expect((await stores[2]!.listResources()).map((r) => r.name)).toEqual(['shared']);
        expect(await stores[1]!.revision()).toBe(1);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await extra.drop();
      }
    });
  });
} else if (inCI()) {
  describe('store on PostgreSQL', () => {
    it('runs in CI', () => {
      throw new Error(`the PostgreSQL store suite must run in CI, but: ${pgServer.reason}`);
    });
  });
} else {
  console.warn(`[meshcap api] skipping the PostgreSQL store suite: ${pgServer.reason}`);
  describe.skip('store on PostgreSQL', () => it('needs PostgreSQL', () => {}));
}

describe('openStore', () => {
  it('takes a plain path as a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-store-path-'));
    try {
      const store = await openStore({ url: join(dir, 'elsewhere.db'), dataDir: '/nonexistent' });
      expect(store.kind).toBe('sqlite');
      expect(store.location).toBe(join(dir, 'elsewhere.db'));
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects a URL it does not know', async () => {
    await expect(openStore({ url: 'mysql://x', dataDir: '/tmp' })).rejects.toMatchObject({ code: 'MESHCAP_ERR_INVALID_ARGUMENT' });
  });
  it('names the store when it cannot open it', async () => {
    await expect(openStore({ url: 'postgres://nobody:pw@127.0.0.1:1/none', dataDir: '/tmp' })).rejects.toMatchObject({
      code: 'MESHCAP_ERR_STORE',
      message: expect.stringContaining('postgres://nobody:***@127.0.0.1:1/none'),
    });
  });
});
