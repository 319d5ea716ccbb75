import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { parseResources } from '../../model/index.ts';
import { POOL_ADDRESSES, poolRequest, startPoolLab, WEB, type PoolLab } from '../../proxy/testing/pool-lab.ts';

// MeshHTTPRoute through xDS: the control plane's routes (RDS shape, inline), decoded and enforced
// by meshcap dp per request on real endpoints: pool-1 is version v1, pool-2 and pool-3 are v2.

const route = (rules: string): string => `
type: MeshHTTPRoute
name: pool-route
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      rules: ${rules}
`;

const VERSIONS = [{ version: 'v1' }, { version: 'v2' }, { version: 'v2' }];
const [V1] = POOL_ADDRESSES;

describe('MeshHTTPRoute enforced by meshcap dp', () => {
  let lab: PoolLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it('an 80/20 split between v1 and v2 holds within ±5 % over 1,000 requests; the flows credit the route', async () => {
    lab = await startPoolLab('http', { tags: VERSIONS });
    await lab.apply(
      route(`
        - matches: [{ path: { type: PathPrefix, value: / } }]
          default:
            backendRefs:
              - { kind: MeshServiceSubset, name: pool, tags: { version: v1 }, weight: 80 }
              - { kind: MeshServiceSubset, name: pool, tags: { version: v2 }, weight: 20 }`),
    );
    let v1 = 0;
    for (let i = 0; i < 1000; i++) {
      const r = await poolRequest(lab, '/');
      expect(r.status).toBe(200);
      if (r.body === V1) v1++;
    }
    expect(v1).toBeGreaterThanOrEqual(750);
    expect(v1).toBeLessThanOrEqual(850);
    // v2's two endpoints share its 20 % (round robin inside the subset cluster).
    expect(Math.abs(lab.apps[1]!.hits - lab.apps[2]!.hits)).toBeLessThanOrEqual(1);
    const flow = lab.web.flows.recent().find((f) => f.cluster === 'pool_version-v1')!;
    expect(flow.policies).toContainEqual({ type: 'MeshHTTPRoute', name: 'pool-route', action: 'route pool_version-v1' });
    const clusters = await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/clusters`)).text();
    expect(clusters).toContain(`pool_version-v1::${V1}:`);
  });

  it('matches on path, method, header and query pick the backend; unmatched requests go to the service', async () => {
    lab = await startPoolLab('http', { tags: VERSIONS });
    await lab.apply(
      route(`
        - matches: [{ path: { type: Exact, value: /exact } }, { path: { type: RegularExpression, value: "/re/[0-9]+" } }]
          default: { backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v1 } }] }
        - matches: [{ method: POST }]
          default: { backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v1 } }] }
        - matches: [{ headers: [{ type: Exact, name: x-canary, value: "yes" }] }, { queryParams: [{ type: Exact, name: canary, value: "1" }] }]
          default: { backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v1 } }] }
        - matches: [{ path: { type: PathPrefix, value: /v2 } }]
          default: { backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v2 } }] }`),
    );
    const v1Only = async (path: string, opts?: Parameters<typeof poolRequest>[2]): Promise<string[]> => {
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) seen.push((await poolRequest(lab!, path, opts)).body);
      return [...new Set(seen)];
    };
    expect(await v1Only('/exact')).toEqual([V1]);
    expect(await v1Only('/re/42')).toEqual([V1]);
    expect(await v1Only('/', { method: 'POST' })).toEqual([V1]);
    expect(await v1Only('/', { headers: { 'x-canary': 'yes' } })).toEqual([V1]);
    expect(await v1Only('/?canary=1')).toEqual([V1]);
    // Not matches: a longer exact path, a regex that does not match in full, a prefix that is not a whole segment.
    expect((await v1Only('/exact/more')).length).toBe(3);
    expect((await v1Only('/re/42x')).length).toBe(3);
    expect((await v1Only('/v2')).sort()).toEqual([POOL_ADDRESSES[1], POOL_ADDRESSES[2]]);
    expect((await v1Only('/v2x')).length).toBe(3);
  });

  it('header modifiers, a prefix rewrite, a full path rewrite and a host rewrite change what the backend gets and the client sees', async () => {
    lab = await startPoolLab('http', { tags: VERSIONS });
    await lab.apply(
      route(`
        - matches: [{ path: { type: PathPrefix, value: /api } }]
          default:
            filters:
              - { type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /echo }, hostname: internal.example } }
              - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-route, value: api }], add: [{ name: x-extra, value: "1" }], remove: [x-drop] } }
              - { type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-served-by, value: mesh }], remove: [content-type] } }
        - matches: [{ path: { type: Exact, value: /whole } }]
          default:
            filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: /echo/full } } }]`),
    );
    const r = await poolRequest(lab, '/api/items?id=7', { headers: { 'x-drop': 'gone', 'x-route': 'client' } });
    expect(r.status).toBe(200);
    const got = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(got.url).toBe('/echo/items?id=7');
    expect(got.headers['host']).toBe('internal.example');
    expect(got.headers['x-route']).toBe('api');
    expect(got.headers['x-extra']).toBe('1');
    expect(got.headers['x-drop']).toBeUndefined();
    expect(r.headers['x-served-by']).toBe('mesh');
    expect(r.headers['content-type']).toBeUndefined();
    expect((JSON.parse((await poolRequest(lab, '/whole?q=1')).body) as { url: string }).url).toBe('/echo/full?q=1');
  });

  it('a redirect is answered by the proxy with the status and Location the route says, and nothing reaches a backend', async () => {
    lab = await startPoolLab('http', { tags: VERSIONS });
    await lab.apply(
      route(`
        - matches: [{ path: { type: Exact, value: /old } }]
          default: { filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /new }, statusCode: 301 } }] }
        - matches: [{ path: { type: PathPrefix, value: /moved } }]
          default: { filters: [{ type: RequestRedirect, requestRedirect: { scheme: https, hostname: elsewhere.example, path: { type: ReplacePrefixMatch, replacePrefixMatch: /here } } }] }`),
    );
    const hits = lab.apps.reduce((s, a) => s + a.hits, 0);
    const a = await poolRequest(lab, '/old?x=1');
    expect(a.status).toBe(301);
    expect(a.headers['location']).toBe(`http://127.0.0.1:${lab.port}/new?x=1`);
    const b = await poolRequest(lab, '/moved/a/b');
    expect(b.status).toBe(302);
    expect(b.headers['location']).toBe('https://elsewhere.example/here/a/b');
    expect(lab.apps.reduce((s, x) => s + x.hits, 0)).toBe(hits);
    expect(lab.web.flows.recent().find((f) => f.http?.status === 301)).toMatchObject({ reason: 'redirect', policies: [{ type: 'MeshHTTPRoute', name: 'pool-route', action: 'respond 301' }] });
  });

  it('HTTP/2 (h2c) streams are routed the same way: match, weighted subset, rewrite and header edits', async () => {
    lab = await startPoolLab('http2', { tags: VERSIONS });
    await lab.apply(
      route(`
        - matches: [{ path: { type: PathPrefix, value: /api }, headers: [{ type: Exact, name: x-canary, value: "yes" }] }]
          default:
            filters:
              - { type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /echo }, hostname: internal.example } }
              - { type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-served-by, value: mesh }] } }
            backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v1 } }]`),
    );
    const port = lab.port;
    const client = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => net.connect({ host: '127.0.0.1', port, localAddress: WEB }) });
    try {
      const get = (headers: http2.OutgoingHttpHeaders): Promise<{ headers: http2.IncomingHttpHeaders; body: string }> =>
        new Promise((resolve, reject) => {
          const req = client.request(headers);
          let body = '';
          let head: http2.IncomingHttpHeaders = {};
          req.setEncoding('utf8');
          req.on('response', (h) => (head = h));
          req.on('data', (d: string) => (body += d));
          req.on('end', () => resolve({ headers: head, body }));
          req.on('error', reject);
        });
      for (let i = 0; i < 3; i++) {
        const r = await get({ ':path': '/api/x?y=1', 'x-canary': 'yes' });
        const got = JSON.parse(r.body) as { address: string; url: string; headers: Record<string, string> };
        expect(got).toMatchObject({ address: V1, url: '/echo/x?y=1' });
        expect(got.headers[':authority'] ?? got.headers['host']).toBe('internal.example');
        expect(r.headers['x-served-by']).toBe('mesh');
      }
      const others = new Set<string>();
      for (let i = 0; i < 3; i++) others.add((await get({ ':path': '/' })).body);
      expect(others.size).toBe(3);
    } finally {
      client.close();
    }
  });

  it('removing the route puts every request back on the service cluster', async () => {
    lab = await startPoolLab('http', { tags: VERSIONS });
    await lab.apply(route(`\n        - matches: [{ path: { type: PathPrefix, value: / } }]\n          default: { backendRefs: [{ kind: MeshServiceSubset, name: pool, tags: { version: v1 } }] }`));
    expect((await poolRequest(lab)).body).toBe(V1);
    await lab.remove('MeshHTTPRoute', 'pool-route');
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add((await poolRequest(lab)).body);
    expect(seen.size).toBe(3);
  });
});

describe('MeshHTTPRoute bad input', () => {
  const refused = (yaml: string): MeshcapError => {
    try {
      parseResources(yaml);
    } catch (err) {
      if (err instanceof MeshcapError) return err;
      throw err;
    }
    throw new Error('accepted');
  };

  it('weights summing to 0 are refused with the field path', () => {
    const err = refused(route(`\n        - matches: [{ path: { type: PathPrefix, value: / } }]\n          default: { backendRefs: [{ kind: MeshService, name: pool, weight: 0 }] }`));
    expect(err.code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    expect(err.issues.map((i) => i.path)).toContain('spec.to[0].rules[0].default.backendRefs');
    expect(err.message).toMatch(/weights sum to 0/);
  });

  it('an invalid regex (or one RE2 refuses) is refused with the field path', () => {
    for (const [re, why] of [
      ['/a(', /invalid regular expression/],
      ['/(?=x)', /lookaround/],
      ['/(a+)+', /exponential/],
    ] as const) {
      const err = refused(route(`\n        - matches: [{ path: { type: RegularExpression, value: "${re}" } }]\n          default: {}`));
      expect(err.issues.map((i) => i.path)).toContain('spec.to[0].rules[0].matches[0].path.value');
      expect(err.message).toMatch(why);
    }
    const header = refused(route(`\n        - matches: [{ headers: [{ type: RegularExpression, name: x, value: "(" }] }]\n          default: {}`));
    expect(header.issues.map((i) => i.path)).toContain('spec.to[0].rules[0].matches[0].headers[0].value');
  });

  it('a redirect with backendRefs, and ReplacePrefixMatch without a prefix match, are refused', () => {
    const a = refused(route(`\n        - matches: [{ path: { type: Exact, value: /a } }]\n          default: { filters: [{ type: RequestRedirect, requestRedirect: { statusCode: 301 } }], backendRefs: [{ kind: MeshService, name: pool }] }`));
    expect(a.issues.map((i) => i.path)).toContain('spec.to[0].rules[0].default.backendRefs');
    const b = refused(route(`\n        - matches: [{ path: { type: Exact, value: /a } }]\n          default: { filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /b } } }] }`));
    expect(b.issues.map((i) => i.path)).toContain('spec.to[0].rules[0].default.filters[0]');
  });
});
