import { MeshcapError } from '@meshcap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp, type App } from './app.ts';

describe('app skeleton: error handler, schemas, OpenAPI', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildApp({ bodyLimit: 256 });
    // Routes that exist only to drive the error handler through each kind of failure.
    app.post(
      '/test/echo',
      { schema: { body: z.object({ enabled: z.boolean(), nested: z.object({ n: z.number() }).optional() }), querystring: z.object({ limit: z.coerce.number().int().optional() }) } },
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
  });
  afterAll(() => app.close());

  it('answers /healthz', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('validates bodies strictly, with the field path', async () => {
    const ok = await app.inject({ method: 'POST', url: '/test/echo?limit=3', payload: { enabled: true } });
    expect(ok.json()).toEqual({ enabled: true, limit: 3 });
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { enabled: 'true', nested: { n: 'x' } } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('MESHCAP_ERR_INVALID_REQUEST');
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.enabled', 'body.nested.n']);
  });

  it('names the query field that is wrong', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo?limit=abc', payload: { enabled: true } });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toBe('query.limit');
  });

  it('maps coded errors to their registry status', async () => {
    const res = await app.inject('/test/coded');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ code: 'MESHCAP_ERR_CONFLICT', message: 'mesh "prod" still has 2 dataplanes', issues: [{ path: 'name', message: 'in use' }] });
  });

  it('answers 5xx without internals', async () => {
    for (const url of ['/test/crash', '/test/bad-response']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(500);
      expect(res.json().code).toBe('MESHCAP_ERR_INTERNAL');
      expect(res.body).not.toContain('shadow');
      expect(res.body).not.toContain('nope');
      expect(res.body).not.toMatch(/at .*\.ts/);
    }
  });

  it('answers 413 for an oversized body and 400 for malformed JSON', async () => {
    const big = await app.inject({ method: 'POST', url: '/test/echo', payload: { enabled: true, pad: 'x'.repeat(1000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('MESHCAP_ERR_PAYLOAD_TOO_LARGE');
    const bad = await app.inject({ method: 'POST', url: '/test/echo', payload: '{bad', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('MESHCAP_ERR_INVALID_REQUEST');
  });

  it('answers unknown routes with a coded 404', async () => {
    const res = await app.inject('/nope?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'MESHCAP_ERR_NOT_FOUND', message: 'no route GET /nope', issues: [] });
  });

  it('publishes OpenAPI built from the zod schemas, and a docs page listing the routes', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    expect(spec.openapi).toBe('3.1.0');
    const echo = spec.paths['/test/echo'].post;
    expect(echo.requestBody.content['application/json'].schema.properties.enabled).toEqual({ type: 'boolean' });
    expect(echo.parameters[0]).toMatchObject({ in: 'query', name: 'limit' });
    expect(spec.paths['/openapi.json']).toBeUndefined();
    const docs = await app.inject('/docs');
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('<code>/healthz</code>');
    expect(docs.body).toContain('Liveness: the control plane answers');
  });
});
