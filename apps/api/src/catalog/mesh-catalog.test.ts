import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataplaneYaml, resourcesYaml } from '@meshcap/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import { MeshCatalog } from './mesh-catalog.ts';

const resources = `${resourcesYaml(
  dataplaneYaml({ name: 'web', address: '198.18.0.10', inbound: [{ port: 8080, service: 'web', protocol: 'http' }] }),
  dataplaneYaml({ name: 'api', address: '198.18.0.11', inbound: [{ port: 9090, service: 'api', protocol: 'http' }] }),
)}---
type: MeshFaultInjection
name: abort-all
spec:
  targetRef: { kind: Mesh }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [ { abort: { httpStatus: 503, percentage: 100 } } ] }
`;

describe('MeshCatalog over a real store', () => {
  let dir: string;
  let store: Store;
  let catalog: MeshCatalog;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-catalog-'));
    store = await openStore({ dataDir: dir });
    catalog = await MeshCatalog.open(store);
  });
  afterEach(async () => {
    catalog.close();
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a service its VIP before its first config, and keeps every VIP across a control plane restart', async () => {
    const transparent = `type: Dataplane
name: client
networking:
  address: 198.18.0.12
  transparentProxying: {}
`;
    await catalog.applyText(transparent);
    expect(catalog.compiler.compile('default', 'client').outbounds).toEqual([]);
    await catalog.applyText(resources);
    const client = catalog.compiler.compile('default', 'client');
    expect(client.outbounds.map((o) => [o.service, o.vip])).toEqual([
      ['api', '240.0.0.1'],
      ['web', '240.0.0.2'],
    ]);
    // One new version for the two new services: endpoints and VIPs came in the same compile.
    expect(client.version.counter).toBe(2);
    catalog.close();
    await store.close();

    store = await openStore({ dataDir: dir });
    catalog = await MeshCatalog.open(store);
    const again = catalog.compiler.compile('default', 'client');
    expect(again.outbounds.map((o) => [o.service, o.vip])).toEqual([
      ['api', '240.0.0.1'],
      ['web', '240.0.0.2'],
    ]);
    expect(again.version.versionInfo).toBe(client.version.versionInfo);
    expect(await store.listVips()).toHaveLength(2);
  });

  it('keeps resources, toggles and version counters across a restart', async () => {
    await catalog.applyText(resources);
    await catalog.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: false });
    const versions = { web: catalog.compiler.version('default', 'web')!, api: catalog.compiler.version('default', 'api')! };
    expect(versions.api.counter).toBe(2);
    catalog.close();
    await store.close();

    store = await openStore({ dataDir: dir });
    catalog = await MeshCatalog.open(store);
    expect(catalog.dataplanes().map((d) => d.name)).toEqual(['api', 'web']);
    expect(catalog.compiler.isEnabled('default', 'api', 'MeshFaultInjection', 'abort-all')).toBe(false);
    expect(catalog.compiler.isEnabled('default', 'web', 'MeshFaultInjection', 'abort-all')).toBe(true);
    // Same content after the restart: the same versions, toggled or not.
    expect(catalog.compiler.version('default', 'web')?.versionInfo).toBe(versions.web.versionInfo);
    expect(catalog.compiler.version('default', 'api')?.versionInfo).toBe(versions.api.versionInfo);
    const counter = catalog.compiler.version('default', 'api')!.counter;
    await catalog.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: true });
    expect(catalog.compiler.version('default', 'api')?.counter).toBe(counter + 1);
  });

  it('continues the counters when the stored content changed meanwhile (a policy edited by another version of meshcap)', async () => {
    await catalog.applyText(resources);
    await catalog.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: false });
    const api = catalog.compiler.version('default', 'api')!;
    catalog.close();
    // Another control plane turns the toggle back on while this one is down.
    await store.setToggle({ mesh: 'default', dataplane: 'api', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: true });
    await store.close();
    store = await openStore({ dataDir: dir });
    catalog = await MeshCatalog.open(store);
    expect(catalog.compiler.version('default', 'api')!.counter).toBe(api.counter + 1);
    expect(catalog.compiler.isEnabled('default', 'api', 'MeshFaultInjection', 'abort-all')).toBe(true);
  });

  it('fails to open with a coded error naming the store when the store cannot be read', async () => {
    await store.close();
    await expect(MeshCatalog.open(store)).rejects.toMatchObject({ code: 'MESHCAP_ERR_STORE', message: expect.stringContaining(store.location) });
  });

  it('changes nothing, in the store or the compiler, when the store refuses a write', async () => {
    await catalog.applyText(resources);
    const before = catalog.compiler.version('default', 'web')!.versionInfo;
    const seen: string[] = [];
    catalog.compiler.onChange((r) => seen.push(...r.changes.map((c) => `${c.dataplane}@${c.version?.versionInfo ?? 'gone'}`)));
    await store.close(); // the store fails every write from now on
    await expect(catalog.applyText('type: MeshFaultInjection\nname: abort-all\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { http: [ { abort: { httpStatus: 500, percentage: 100 } } ] }\n')).rejects.toMatchObject({
      code: 'MESHCAP_ERR_STORE',
    });
    expect(catalog.compiler.version('default', 'web')!.versionInfo).not.toBe(before); // (counter moved on while the change was tried)
    const conf = catalog.compiler.compile('default', 'web').inbounds[0]!.policies.MeshFaultInjection!.rules[0]!.conf as { http: Array<{ abort: { httpStatus: number } }> };
    expect(conf.http[0]!.abort.httpStatus).toBe(503);
    await expect(catalog.delete({ type: 'Dataplane', mesh: 'default', name: 'api' })).rejects.toMatchObject({ code: 'MESHCAP_ERR_STORE' });
    expect(catalog.compiler.getDataplane('default', 'api')).toBeDefined();
    await expect(catalog.setToggle({ mesh: 'default', dataplane: 'web', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: false })).rejects.toMatchObject({ code: 'MESHCAP_ERR_STORE' });
    expect(catalog.compiler.isEnabled('default', 'web', 'MeshFaultInjection', 'abort-all')).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('follows what another replica writes to the same store', async () => {
    const other = await MeshCatalog.open(await openStore({ dataDir: dir }), { pollMs: 50 });
    try {
      await catalog.applyText(resources);
      const deadline = Date.now() + 5_000;
      while (!other.compiler.getDataplane('default', 'web') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(other.dataplanes().map((d) => d.name)).toEqual(['api', 'web']);
      await catalog.setToggle({ mesh: 'default', dataplane: 'web', policyType: 'MeshFaultInjection', policyName: 'abort-all', enabled: false });
      while (other.compiler.isEnabled('default', 'web', 'MeshFaultInjection', 'abort-all') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(other.compiler.isEnabled('default', 'web', 'MeshFaultInjection', 'abort-all')).toBe(false);
      await catalog.delete({ type: 'Dataplane', mesh: 'default', name: 'api' });
      while (other.compiler.getDataplane('default', 'api') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(other.compiler.getDataplane('default', 'api')).toBeUndefined();
    } finally {
      other.close();
      await other.store.close();
    }
  });
});
