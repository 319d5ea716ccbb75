import { MeshcapError } from '@meshcap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from './app.ts';
import { AUTH, startTestApp, type TestControlPlane } from './test-support.ts';

describe('app skeleton: error handler, schemas, OpenAPI', () => {
  let cp: TestControlPlane;
  let app: App;
  beforeAll(async () => {
    cp = await startTestApp({ bodyLimit: 256 });
    app = cp.app;
  });
  afterAll(() => cp.close());

  it('answers /healthz with the store it uses', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', store: { kind: 'sqlite' }, dataplanes: { connected: 0 } });
  });

  it('publishes OpenAPI built from the zod schemas, and a docs page listing the routes', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    expect(spec.openapi).toBe('3.1.0');
    const toggle = spec.paths['/api/meshes/{mesh}/dataplanes/{name}/policies/{type}/{policy}'].put;
    expect(toggle.requestBody.content['application/json'].schema.properties.enabled).toEqual({ type: 'boolean' });
    expect(toggle.security).toEqual([{ bearer: [] }]);
    const flows = spec.paths['/api/flows'].get;
    expect(flows.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['mesh', 'dataplane', 'direction', 'verdict', 'since', 'limit']));
    // Named zod schemas (`.meta({ id })`) are components the routes refer to (clients get named types).
    expect(flows.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/FlowList' });
    expect(spec.components.schemas.FlowList.properties.items).toEqual({ type: 'array', items: { $ref: '#/components/schemas/FlowRecord' } });
    expect(flows.responses['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApiError' });
    expect(spec.paths['/api/flows/stream'].get.responses['200'].content['text/event-stream']).toBeDefined();
    expect(spec.paths['/openapi.json']).toBeUndefined();
    const docs = await app.inject('/docs');
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('<code>/api/meshes/{mesh}/dataplanes</code>');
    expect(docs.body).toContain('Dataplanes of a mesh');
  });

  it('answers unknown routes with a coded 404', async () => {
    const res = await app.inject('/nope?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'MESHCAP_ERR_NOT_FOUND', message: 'no route GET /nope', issues: [] });
  });

  it("answers a path parameter over the router's length limit with a coded 400, not Fastify's own body (found by routes.fuzz)", async () => {
    const res = await app.inject(`/api/meshes/${'a'.repeat(300)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MESHCAP_ERR_INVALID_REQUEST', issues: [] });
  });
});

describe('the one error handler', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestApp({ bodyLimit: 256 });
  });
  afterAll(() => cp.close());

  // Routes that exist only to drive the error handler through each kind of failure, on an app not yet ready.
  it('validates bodies strictly and names the field path; maps coded errors; hides internals', async () => {
    const { buildApp } = await import('./app.ts');
    const app = await buildApp({ store: cp.store, adminToken: 'x'.repeat(20), bodyLimit: 256 });
    app.post(
      '/test/echo',
      { config: { access: 'read' }, schema: { body: z.object({ enabled: z.boolean(), nested: z.object({ n: z.number() }).optional() }), querystring: z.object({ limit: z.coerce.number().int().optional() }) } },
      async (request) => ({ enabled: request.body.enabled, limit: request.query.limit ?? null }),
    );
    app.get('/test/coded', async () => {
      throw new MeshcapError('MESHCAP_ERR_CONFLICT', 'mesh "prod" still has 2 dataplanes', [{ path: 'name', message: 'in use' }]);
    });
    app.get('/test/crash', async () => {
      throw new Error('secret detail at /etc/shadow');
    });
    app.get('/test/bad-response', { schema: { response: { 200: z.object({ n: z.number() }) } } }, async () => ({ n: 'nope' }) as unknown as { n: number });
    await app.ready();
    try {
      const ok = await app.inject({ method: 'POST', url: '/test/echo?limit=3', payload: { enabled: true } });
      expect(ok.json()).toEqual({ enabled: true, limit: 3 });
      const typed = await app.inject({ method: 'POST', url: '/test/echo', payload: { enabled: 'true', nested: { n: 'x' } } });
      expect(typed.statusCode).toBe(400);
      expect(typed.json().code).toBe('MESHCAP_ERR_INVALID_REQUEST');
      expect(typed.json().issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.enabled', 'body.nested.n']);
      const query = await app.inject({ method: 'POST', url: '/test/echo?limit=abc', payload: { enabled: true } });
      expect(query.json().issues[0].path).toBe('query.limit');
      const big = await app.inject({ method: 'POST', url: '/test/echo', payload: { enabled: true, pad: 'x'.repeat(1000) } });
      expect(big.statusCode).toBe(413);
      expect(big.json().code).toBe('MESHCAP_ERR_PAYLOAD_TOO_LARGE');
      const bad = await app.inject({ method: 'POST', url: '/test/echo', payload: '{bad', headers: { 'content-type': 'application/json' } });
      expect(bad.statusCode).toBe(400);
      const coded = await app.inject('/test/coded');
      expect(coded.statusCode).toBe(409);
      expect(coded.json()).toEqual({ code: 'MESHCAP_ERR_CONFLICT', message: 'mesh "prod" still has 2 dataplanes', issues: [{ path: 'name', message: 'in use' }] });
      for (const url of ['/test/crash', '/test/bad-response']) {
        const res = await app.inject(url);
        expect(res.statusCode).toBe(500);
        expect(res.json().code).toBe('MESHCAP_ERR_INTERNAL');
        expect(res.body).not.toContain('shadow');
        expect(res.body).not.toContain('nope');
      }
    } finally {
      await app.close();
    }
  });

  it('needs the token on mutating routes', async () => {
    const none = await cp.app.inject({ method: 'PUT', url: '/api/meshes/default/dataplanes/x/policies/MeshTimeout/y', payload: { enabled: false } });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('MESHCAP_ERR_UNAUTHORIZED');
    const wrong = await cp.app.inject({ method: 'PUT', url: '/api/meshes/default/dataplanes/x/policies/MeshTimeout/y', payload: { enabled: false }, headers: { authorization: 'Bearer wrong-token-wrong-token' } });
    expect(wrong.statusCode).toBe(401);
    const right = await cp.app.inject({ method: 'PUT', url: '/api/meshes/default/dataplanes/x/policies/MeshTimeout/y', payload: { enabled: false }, headers: AUTH });
    expect(right.statusCode).toBe(404);
  });
});
