import { dataplaneYaml, resourcesYaml } from '@meshcap/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

const twoDataplanes = `# web and api
${resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: '198.18.0.10', inbound: [{ port: 8080, service: 'web', protocol: 'http' }] }),
  dataplaneYaml({ mesh: 'default', name: 'api', address: '198.18.0.11', inbound: [{ port: 9090, service: 'api' }] }),
)}`;

describe('POST /api/resources and GET/DELETE /api/meshes/{mesh}/resources/{type}/{name}', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestApp({ bodyLimit: 4096 });
  });
  afterAll(() => cp.close());

  it('applies several YAML documents and reports what changed', async () => {
    const res = await applyYaml(cp.app, twoDataplanes);
    expect(res.statusCode).toBe(200);
    expect(res.json().changes).toEqual([
      { type: 'Dataplane', mesh: 'default', name: 'web', action: 'created', version: 1 },
      { type: 'Dataplane', mesh: 'default', name: 'api', action: 'created', version: 1 },
    ]);
    const again = await applyYaml(cp.app, twoDataplanes);
    expect(again.json().changes.map((c: { action: string }) => c.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('applies JSON (an array) sent as application/json', async () => {
    const body = JSON.stringify([{ type: 'Mesh', name: 'prod' }, { type: 'MeshTimeout', mesh: 'prod', name: 'slow', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '2s' } }] } }]);
    const res = await cp.app.inject({ method: 'POST', url: '/api/resources', payload: body, headers: { 'content-type': 'application/json', ...AUTH } });
    expect(res.statusCode).toBe(200);
    expect(res.json().changes.map((c: { type: string; action: string }) => `${c.type} ${c.action}`)).toEqual(['Mesh created', 'MeshTimeout created']);
  });

  it('returns a stored resource with the text it was applied from', async () => {
    const res = await cp.app.inject('/api/meshes/default/resources/Dataplane/web');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ type: 'Dataplane', mesh: 'default', name: 'web', version: 1, resource: { networking: { address: '198.18.0.10' } } });
    expect(body.source).toContain('# web and api');
    expect(body.source).toContain('name: web');
    expect(body.source).not.toContain('name: api');
    expect((await cp.app.inject('/api/meshes/prod/resources/Mesh/prod')).json()).toMatchObject({ type: 'Mesh', name: 'prod', mesh: '' });
  });

  it('points at the line and column of malformed YAML, and stores nothing', async () => {
    const res = await applyYaml(cp.app, 'type: Dataplane\nname: broken\nnetworking:\n  address: [198.18.0.1\n');
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('MESHCAP_ERR_YAML_SYNTAX');
    expect(body.issues[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(body.issues[0].line).toBeGreaterThanOrEqual(4);
    expect((await cp.app.inject('/api/meshes/default/resources/Dataplane/broken')).statusCode).toBe(404);
  });

  it('gives malformed JSON a line and column too', async () => {
    const res = await cp.app.inject({ method: 'POST', url: '/api/resources', payload: '{\n  "type": "Mesh",\n  "name": "x",,\n}', headers: { 'content-type': 'application/json', ...AUTH } });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0]).toMatchObject({ line: 3 });
  });

  it('refuses an unknown kind', async () => {
    const res = await applyYaml(cp.app, 'type: MeshGateway\nname: gw\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MESHCAP_ERR_UNKNOWN_KIND');
    expect(res.json().issues[0]).toMatchObject({ path: 'type', line: 1 });
  });

  it('names the field path and line of wrong field types', async () => {
    const res = await applyYaml(cp.app, 'type: Dataplane\nname: typed\nnetworking:\n  address: 198.18.0.12\n  inbound:\n    - port: "eighty"\n      tags: { kuma.io/service: t }\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    expect(res.json().issues[0]).toMatchObject({ path: 'networking.inbound[0].port', line: 6 });
  });

  it('stores nothing when one document of many is bad', async () => {
    const text = `${twoDataplanes.replace('198.18.0.10', '198.18.0.20')}---\ntype: MeshFaultInjection\nmesh: default\nname: bad\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { http: [ { abort: { httpStatus: 503, percentage: 150 } } ] }\n`;
    const res = await applyYaml(cp.app, text);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0]).toMatchObject({ document: 2, path: expect.stringContaining('percentage') });
    const web = (await cp.app.inject('/api/meshes/default/resources/Dataplane/web')).json();
    expect(web.resource.networking.address).toBe('198.18.0.10');
    expect(web.version).toBe(1);
  });

  it('refuses a resource in a mesh that does not exist, naming the field', async () => {
    const res = await applyYaml(cp.app, 'type: Dataplane\nmesh: nowhere\nname: lost\nnetworking:\n  address: 198.18.0.30\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0]).toMatchObject({ path: 'mesh', document: 0 });
  });

  it('needs the token (401), limits the body (413), takes only text types (415)', async () => {
    const noToken = await cp.app.inject({ method: 'POST', url: '/api/resources', payload: 'type: Mesh\nname: a\n', headers: { 'content-type': 'application/yaml' } });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().code).toBe('MESHCAP_ERR_UNAUTHORIZED');
    const big = await applyYaml(cp.app, `type: Mesh\nname: big\nlabels:\n  pad: "${'x'.repeat(5000)}"\n`);
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('MESHCAP_ERR_PAYLOAD_TOO_LARGE');
    const form = await cp.app.inject({ method: 'POST', url: '/api/resources', payload: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded', ...AUTH } });
    expect(form.statusCode).toBe(415);
    const empty = await applyYaml(cp.app, '');
    expect(empty.statusCode).toBe(400);
  });

  it('deletes resources; a mesh only once it is empty', async () => {
    const busy = await cp.app.inject({ method: 'DELETE', url: '/api/meshes/prod/resources/Mesh/prod', headers: AUTH });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().message).toContain('MeshTimeout slow');
    const policy = await cp.app.inject({ method: 'DELETE', url: '/api/meshes/prod/resources/MeshTimeout/slow', headers: AUTH });
    expect(policy.json()).toMatchObject({ action: 'deleted', type: 'MeshTimeout', name: 'slow' });
    expect((await cp.app.inject({ method: 'DELETE', url: '/api/meshes/prod/resources/Mesh/prod', headers: AUTH })).statusCode).toBe(200);
    expect((await cp.app.inject('/api/meshes/prod/resources/Mesh/prod')).statusCode).toBe(404);
    expect((await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/ghost', headers: AUTH })).statusCode).toBe(404);
    expect((await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Nope/x', headers: AUTH })).json().code).toBe('MESHCAP_ERR_UNKNOWN_KIND');
    expect((await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/api' })).statusCode).toBe(401);
  });
});
