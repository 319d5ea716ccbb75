import { dataplaneYaml, faultDelayYaml, httpRetryYaml, resourcesYaml } from '@meshcap/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

const mesh = resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: '198.18.0.10',
    inbound: [{ port: 8080, servicePort: 8081, service: 'web', protocol: 'http', tags: { version: 'v1' } }],
    transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
  }),
  dataplaneYaml({ mesh: 'default', name: 'backend', address: '198.18.0.11', inbound: [{ port: 9000, service: 'backend', protocol: 'http' }], transparentProxying: { inboundMode: 'tproxy' } }),
  dataplaneYaml({ mesh: 'default', name: 'legacy', address: '127.0.0.1', inbound: [{ port: 15000, servicePort: 5000, service: 'legacy' }], outbound: [{ port: 10001, service: 'backend' }] }),
  faultDelayYaml({ name: 'slow-web', service: 'web', delay: '5s', percentage: 50 }),
  httpRetryYaml({ name: 'retry-backend', service: 'backend', numRetries: 3 }),
);

describe('mesh, dataplane, policy and config_dump routes (no dataplane connected)', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestApp();
    const res = await applyYaml(cp.app, mesh);
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => cp.close());
  const get = (url: string) => cp.app.inject(url);

  it('lists meshes with counts; the default mesh exists from the start', async () => {
    const res = await get('/api/meshes');
    expect(res.json()).toMatchObject({ total: 1, items: [{ type: 'Mesh', name: 'default', dataplanes: { total: 3, online: 0 }, policies: 2 }] });
    expect((await get('/api/meshes/default')).json().name).toBe('default');
    expect((await get('/api/meshes/nope')).statusCode).toBe(404);
    expect((await get('/api/meshes/Bad_Name')).statusCode).toBe(400);
  });

  it('lists dataplanes with kumactl inspect columns', async () => {
    const res = await get('/api/meshes/default/dataplanes');
    const byName = Object.fromEntries(res.json().items.map((d: { name: string }) => [d.name, d]));
    expect(res.json().total).toBe(3);
    expect(byName.web).toMatchObject({
      mesh: 'default',
      address: '198.18.0.10',
      tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http', version: 'v1' },
      connected: false,
      status: 'offline',
      lastSeen: null,
      configVersion: null,
      expectedVersion: expect.stringMatching(/^1-[0-9a-f]{12}$/),
      upToDate: false,
      captureMode: 'redirect',
      errors: [],
    });
    expect(byName.backend.captureMode).toBe('tproxy');
    expect(byName.legacy.captureMode).toBe('explicit');
    expect((await get('/api/meshes/nope/dataplanes')).statusCode).toBe(404);
  });

  it('shows one dataplane with its inbounds, outbounds and resource', async () => {
    const res = await get('/api/meshes/default/dataplanes/legacy');
    expect(res.statusCode).toBe(200);
    const dp = res.json();
    expect(dp.inbounds).toEqual([
      { listener: 'inbound:127.0.0.1:15000', address: '127.0.0.1', port: 15000, protocol: 'tcp', service: 'legacy', tags: { 'kuma.io/service': 'legacy' }, serviceAddress: '127.0.0.1', servicePort: 5000, stats: {} },
    ]);
    expect(dp.outbounds[0]).toMatchObject({ listener: 'outbound:127.0.0.1:10001', port: 10001, service: 'backend', protocol: 'http' });
    expect(dp.statsAvailable).toBe(false);
    expect(dp.resource.name).toBe('legacy');
    expect(dp.source).toContain('name: legacy');
    expect((await get('/api/meshes/default/dataplanes/ghost')).statusCode).toBe(404);
  });

  it("a transparent dataplane's outbounds are the services at their VIPs, with the DNS names its DNS proxy answers", async () => {
    const dp = (await get('/api/meshes/default/dataplanes/web')).json();
    const backend = dp.outbounds.find((o: { service: string }) => o.service === 'backend');
    expect(backend.vip).toMatch(/^240\./);
    expect(backend).toMatchObject({ listener: `outbound:${backend.vip}:80`, address: backend.vip, port: 80, protocol: 'http', dnsNames: expect.arrayContaining(['backend.mesh']) });
    expect(backend.dnsNames[0]).toBe('backend.mesh');
    // A declared outbound of an explicit dataplane has no VIP.
    expect((await get('/api/meshes/default/dataplanes/legacy')).json().outbounds[0].vip).toBeUndefined();
  });

  it('lists listeners with filters from the config dump', async () => {
    const res = await get('/api/meshes/default/dataplanes/web/listeners');
    expect(res.statusCode).toBe(200);
    const byName = Object.fromEntries(res.json().items.map((l: { name: string }) => [l.name, l]));
    expect(byName['inbound:passthrough:ipv4']).toMatchObject({ port: 15006, useOriginalDst: true, bind: true, direction: 'inbound' });
    expect(byName['outbound:passthrough:ipv6']).toMatchObject({ address: '::', port: 15001 });
    const inbound = byName['inbound:198.18.0.10:8080'];
    expect(inbound).toMatchObject({ bind: false, protocol: 'http', cluster: 'localhost:8081' });
    expect(inbound.filters).toEqual(expect.arrayContaining(['envoy.filters.network.http_connection_manager', 'envoy.filters.http.fault', 'envoy.filters.http.router']));
    expect(inbound.filters.indexOf('envoy.filters.http.fault')).toBeLessThan(inbound.filters.indexOf('envoy.filters.http.router'));
  });

  it('draws the path diagrams', async () => {
    const inbound = (await get('/api/meshes/default/dataplanes/web/diagram')).json();
    expect(inbound.direction).toBe('inbound');
    expect(inbound.mermaid).toContain('KUMA_MESH_INBOUND_REDIRECT');
    expect(inbound.mermaid).toContain('slow-web');
    const outbound = (await get('/api/meshes/default/dataplanes/web/diagram?direction=outbound')).json();
    expect(outbound.mermaid).toContain('retry-backend');
    expect((await get('/api/meshes/default/dataplanes/web/diagram?direction=sideways')).json().issues[0].path).toBe('query.direction');
  });

  it('shows matched policies with origins and effective conf', async () => {
    const res = await get('/api/meshes/default/dataplanes/web/policies');
    const body = res.json();
    expect(body.policies.map((p: { type: string; name: string; enabled: boolean }) => `${p.type}/${p.name}/${p.enabled}`)).toEqual(['MeshFaultInjection/slow-web/true', 'MeshRetry/retry-backend/true']);
    const inbound = body.attachments.find((a: { direction: string }) => a.direction === 'inbound');
    expect(inbound).toMatchObject({ listener: 'inbound:198.18.0.10:8080', service: 'web' });
    expect(inbound.policies[0]).toMatchObject({ type: 'MeshFaultInjection', rules: [{ subset: [], conf: { http: [{ delay: { value: '5s', percentage: 50 } }] } }] });
    expect(inbound.policies[0].origins[0]).toMatchObject({ name: 'slow-web', section: 'from', entry: 0, enabled: true });
    const toBackend = body.attachments.find((a: { direction: string; service: string }) => a.direction === 'outbound' && a.service === 'backend');
    expect(toBackend.policies[0]).toMatchObject({ type: 'MeshRetry', rules: [{ conf: { http: { numRetries: 3 } } }] });
    expect(body.configVersion).toMatch(/^1-/);
  });

  it('toggles a policy for one dataplane only: a new version for it, none for the others', async () => {
    const versions = async () => Object.fromEntries((await get('/api/meshes/default/dataplanes')).json().items.map((d: { name: string; expectedVersion: string }) => [d.name, d.expectedVersion]));
    const before = await versions();
    const res = await cp.app.inject({ method: 'PUT', url: '/api/meshes/default/dataplanes/legacy/policies/MeshRetry/retry-backend', payload: { enabled: false }, headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ dataplane: 'legacy', type: 'MeshRetry', name: 'retry-backend', enabled: false, configVersion: expect.stringMatching(/^2-/) });
    const after = await versions();
    expect(after.legacy).not.toBe(before.legacy);
    expect(after.web).toBe(before.web);
    expect(after.backend).toBe(before.backend);
    const legacy = (await get('/api/meshes/default/dataplanes/legacy/policies')).json();
    expect(legacy.policies.find((p: { name: string }) => p.name === 'retry-backend').enabled).toBe(false);
    const outbound = legacy.attachments.find((a: { direction: string; service: string }) => a.direction === 'outbound' && a.service === 'backend');
    expect(outbound.policies[0].rules).toEqual([]);
    expect(outbound.policies[0].origins[0].enabled).toBe(false);
    const web = (await get('/api/meshes/default/dataplanes/web/policies')).json();
    expect(web.policies.find((p: { name: string }) => p.name === 'retry-backend').enabled).toBe(true);
  });

  it('refuses bad toggles with the reason', async () => {
    const put = (url: string, payload: unknown, headers: Record<string, string> = AUTH) => cp.app.inject({ method: 'PUT', url, payload: payload as object, headers });
    expect((await put('/api/meshes/default/dataplanes/web/policies/MeshRetry/retry-backend', { enabled: 'no' })).json().issues[0].path).toBe('body.enabled');
    expect((await put('/api/meshes/default/dataplanes/web/policies/MeshRetry/retry-backend', { enabled: true, extra: 1 })).statusCode).toBe(400);
    expect((await put('/api/meshes/default/dataplanes/web/policies/MeshRetry/nope', { enabled: false })).statusCode).toBe(404);
    expect((await put('/api/meshes/default/dataplanes/web/policies/Dataplane/web', { enabled: false })).statusCode).toBe(404);
    expect((await put('/api/meshes/default/dataplanes/ghost/policies/MeshRetry/retry-backend', { enabled: false })).statusCode).toBe(404);
    expect((await put('/api/meshes/default/dataplanes/web/policies/MeshRetry/retry-backend', { enabled: false }, {})).statusCode).toBe(401);
  });

  it('lists a mesh policies and the dataplanes each affects', async () => {
    const list = (await get('/api/meshes/default/policies')).json();
    expect(list.items.map((p: { type: string; name: string; dataplanes: object }) => [p.type, p.name, p.dataplanes])).toEqual([
      ['MeshFaultInjection', 'slow-web', { total: 1, disabled: 0 }],
      ['MeshRetry', 'retry-backend', { total: 3, disabled: 1 }],
    ]);
    expect(list.items[0].targetRef).toEqual({ kind: 'MeshService', name: 'web' });
    const affected = (await get('/api/meshes/default/policies/MeshRetry/retry-backend/dataplanes')).json();
    const legacy = affected.items.find((a: { dataplane: string }) => a.dataplane === 'legacy');
    expect(legacy).toMatchObject({ enabled: false, where: [{ direction: 'outbound', listener: 'outbound:127.0.0.1:10001' }] });
    expect((await get('/api/meshes/default/policies/MeshRetry/nope/dataplanes')).statusCode).toBe(404);
  });

  it('serves config dumps: Envoy query parameters, download, versions and diffs', async () => {
    const dump = (await get('/api/meshes/default/dataplanes/legacy/config_dump')).json();
    expect(dump.configs.map((c: { '@type': string }) => c['@type'].split('.').pop())).toEqual(expect.arrayContaining(['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump']));
    const listeners = (await get('/api/meshes/default/dataplanes/web/config_dump?resource=dynamic_listeners&name_regex=inbound.*')).json();
    expect(listeners.configs.length).toBeGreaterThan(0);
    expect(listeners.configs.every((c: { name: string }) => c.name.startsWith('inbound'))).toBe(true);
    const download = await get('/api/meshes/default/dataplanes/web/config_dump?download=1');
    expect(download.headers['content-disposition']).toBe('attachment; filename="web-config_dump.json"');
    const versions = (await get('/api/meshes/default/dataplanes/legacy/config_dump/versions')).json();
    expect(versions.versions.map((v: { version: string }) => v.version.split('-')[0])).toEqual(['1', '2']);
    expect(versions).toMatchObject({ running: null, latest: expect.stringMatching(/^2-/) });
    const diff = (await get('/api/meshes/default/dataplanes/legacy/config_dump/diff')).json();
    expect(diff.fromVersion).toMatch(/^1-/);
    expect(diff.toVersion).toMatch(/^2-/);
    expect(diff.unified).toContain('retry_policy');
    expect(diff.changes.some((c: { path: string }) => c.path.includes('retry_policy'))).toBe(true);
    expect((await get('/api/meshes/default/dataplanes/legacy/config_dump/diff?from=9-nope')).statusCode).toBe(404);
    expect((await get('/api/meshes/default/dataplanes/legacy/config_dump?version=9-nope')).statusCode).toBe(404);
  });

  it('answers 503 for what only a connected dataplane knows, and 400 for a bad trace packet', async () => {
    for (const url of ['/api/meshes/default/dataplanes/web/rules', '/api/meshes/default/dataplanes/web/stats', '/api/meshes/default/dataplanes/web/config_dump?source=dataplane']) {
      const res = await get(url);
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('MESHCAP_ERR_DATAPLANE_UNAVAILABLE');
    }
    const bad = await cp.app.inject({ method: 'POST', url: '/api/meshes/default/dataplanes/web/trace', payload: { direction: 'outbound', src: '198.18.0.10', dst: 'nowhere', dstPort: 80, proto: 'tcp' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('body.dst');
    const offline = await cp.app.inject({ method: 'POST', url: '/api/meshes/default/dataplanes/web/trace', payload: { direction: 'outbound', src: '198.18.0.10', dst: '198.18.0.11', dstPort: 9000, proto: 'tcp' } });
    expect(offline.statusCode).toBe(503);
  });
});
