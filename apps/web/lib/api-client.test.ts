import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../test/api-fixture.ts';
import { apiFetch, apiUrl, ApiError } from './api-client.ts';
import { forgetToken, saveToken } from './mutation-token.ts';

let api: ApiFixture;
beforeAll(async () => {
  api = await startApiFixture();
});
afterAll(() => api.close());
afterEach(forgetToken);

describe('apiFetch', () => {
  it('returns the JSON of a 2xx answer, on the page origin', async () => {
    api.on('GET', '/api/meshes', (req, res) => sendJson(res, 200, { total: 1, items: [{ name: 'default' }], url: req.url }));
    expect(await apiFetch('/api/meshes', { query: { a: 1, b: undefined, c: '' } })).toEqual({ total: 1, items: [{ name: 'default' }], url: '/api/meshes?a=1' });
  });

  it("throws ApiError with the API's code, message and issues", async () => {
    api.on('POST', '/api/resources', (_req, res) =>
      sendJson(res, 400, { code: 'MESHCAP_ERR_INVALID_RESOURCE', message: 'spec.from[0].default: bad', issues: [{ path: 'spec.from[0].default', line: 7, column: 3, message: 'bad' }] }),
    );
    saveToken('t');
    const err = await apiFetch('/api/resources', { method: 'POST', body: {}, auth: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'MESHCAP_ERR_INVALID_RESOURCE', message: 'spec.from[0].default: bad', issues: [{ path: 'spec.from[0].default', line: 7, column: 3, message: 'bad' }] });
  });

  it('names the status when the answer has no error body', async () => {
    api.on('GET', '/api/broken', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
    await expect(apiFetch('/api/broken')).rejects.toMatchObject({ status: 502, code: 'HTTP_502' });
  });

  it('sends the token only on mutations, and refuses to send one it does not have', async () => {
    api.on('PUT', '/api/x', (req, res) => sendJson(res, 200, { auth: req.headers.authorization ?? null }));
    api.on('GET', '/api/x', (req, res) => sendJson(res, 200, { auth: req.headers.authorization ?? null }));
    const before = api.requests.length;
    await expect(apiFetch('/api/x', { method: 'PUT', body: {}, auth: true })).rejects.toMatchObject({ status: 401, code: 'MESHCAP_ERR_UNAUTHORIZED' });
    expect(api.requests.length).toBe(before);
    saveToken('abc');
    expect(await apiFetch('/api/x', { method: 'PUT', body: {}, auth: true })).toEqual({ auth: 'Bearer abc' });
    expect(await apiFetch('/api/x')).toEqual({ auth: null });
  });

  it('reports an unreachable control plane as NETWORK', async () => {
    await expect(apiFetch('http://127.0.0.1:1/api/meshes')).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
  });

  it('builds query strings without empty values', () => {
    expect(apiUrl('/api/flows', { limit: 10, mesh: 'default', verdict: undefined, q: null })).toBe('/api/flows?limit=10&mesh=default');
    expect(apiUrl('/api/flows')).toBe('/api/flows');
  });
});
