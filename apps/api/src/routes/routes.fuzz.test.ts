import { errorRegistry, type MeshcapErrorCode } from '@meshcap/core';
import { fuzzSettings, withinTimeAsync, type Json } from '@meshcap/testkit';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

// Every route of the OpenAPI document, fuzzed over the real app (inject, a real SQLite store):
// path parameters, queries and bodies generated from each route's own schema, then damaged, with
// and without the admin token. Never a 5xx, never a hang; every error is a coded 4xx whose code's
// status is the status sent. `npm run fuzz` spreads FUZZ_RUNS inputs over the routes.

const settings = fuzzSettings(7004);

interface Schema {
  type?: string | string[];
  enum?: Json[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  $ref?: string;
}
interface Operation {
  parameters?: Array<{ in: 'path' | 'query'; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Route {
  method: string;
  path: string;
  op: Operation;
}

/** Names that exist in the seeded store, so generated requests reach the handlers' deep paths too. */
const NAMES = ['default', 'web', 'backend', 'timeouts', 'MeshTimeout', 'MeshTrafficPermission', 'Dataplane', 'Mesh', 'nope'];
const hostileString = fc.oneof(
  fc.constantFrom('', ' ', '..', '../..', '%00', '%2F', '\u0000', '\uFFFF', 'a'.repeat(300), '(a+)+$', '(.*)*x', '[', '\\', '*', '-1', '0', '1e999', 'NaN', 'true', '__proto__', '{}', '[]', '<script>'),
  fc.string({ maxLength: 30 }),
);

/** Values of a schema (mostly valid, to get past validation and into the handler). */
function fromSchema(s: Schema | undefined, depth = 0): fc.Arbitrary<Json> {
  if (!s || depth > 5) return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => fromSchema(a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return fc.dictionary(fc.constantFrom(...NAMES), fromSchema(undefined, depth + 1), { maxKeys: 3 }) as fc.Arbitrary<Json>;
      return fc.record(Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, depth + 1)])), { requiredKeys: s.required ?? [] }) as fc.Arbitrary<Json>;
    }
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), { maxLength: 3 });
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 100_000, Number.MAX_SAFE_INTEGER) }), fc.constantFrom(0, -1, 1.5, 2 ** 53));
    case 'boolean':
      return fc.boolean();
    case 'string':
      return fc.oneof({ arbitrary: fc.constantFrom(...NAMES), weight: 3 }, { arbitrary: fc.constantFrom('198.18.0.1', '198.18.0.2', '2001:2::1', '10s', 'tcp', 'inbound'), weight: 1 }, { arbitrary: hostileString, weight: 2 });
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  }
}

/** A parameter value as text: from the schema, or anything. */
const paramText = (s: Schema) => fc.oneof({ arbitrary: fromSchema(s).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), weight: 4 }, { arbitrary: hostileString, weight: 1 });

const RESOURCE_TEXTS = [
  'type: Mesh\nname: other\n',
  'type: MeshTimeout\nmesh: default\nname: t2\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 5s }\n',
  'type: Dataplane\nmesh: default\nname: api\nnetworking:\n  address: 198.18.0.3\n  inbound:\n    - port: 7000\n      tags: { kuma.io/service: api }\n',
];

function requestFor(route: Route): fc.Arbitrary<{ url: string; method: string; payload?: string; headers: Record<string, string> }> {
  const params = route.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const content = route.op.requestBody?.content ?? {};
  const [declaredType, media] = Object.entries(content)[0] ?? [];
  const body = media
    ? fc.oneof(
        { arbitrary: fromSchema(media.schema).map((v) => ({ type: declaredType!, text: JSON.stringify(v) })), weight: 5 },
        { arbitrary: fromSchema(media.schema).map((v) => ({ type: 'application/yaml', text: stringify(v) })), weight: 1 },
        { arbitrary: fc.constantFrom(...RESOURCE_TEXTS).map((text) => ({ type: 'application/yaml', text })), weight: route.path === '/api/resources' ? 2 : 0 },
        { arbitrary: fc.tuple(fc.constantFrom(declaredType!, 'application/yaml', 'text/plain', 'application/octet-stream', 'multipart/form-data', 'application/json; charset=utf-7', ''), hostileString).map(([type, text]) => ({ type, text })), weight: 2 },
      )
    : fc.option(fc.tuple(fc.constantFrom('application/json', 'text/plain'), hostileString).map(([type, text]) => ({ type, text })), { freq: 5 });
  const auth = fc.constantFrom<Record<string, string>>(AUTH, AUTH, AUTH, {}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: 'Basic x' });
  return fc
    .tuple(
      fc.tuple(...pathParams.map((p) => paramText(p.schema))),
      fc.array(
        queryParams.length ? fc.oneof(fc.constantFrom(...queryParams).chain((p) => paramText(p.schema).map((v) => [p.name, v] as const)), fc.tuple(hostileString, hostileString)) : fc.tuple(hostileString, hostileString),
        { maxLength: queryParams.length + 1 },
      ),
      body,
      auth,
    )
    .map(([values, query, b, headers]) => {
      let url = route.path;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, encodeURIComponent(values[i] ?? ''))));
      const qs = new URLSearchParams(query.map(([k, v]) => [k, v] as [string, string])).toString();
      return { url: qs ? `${url}?${qs}` : url, method: route.method, ...(b ? { payload: b.text } : {}), headers: { ...headers, ...(b ? { 'content-type': b.type } : {}) } };
    });
}

/** Routes that ask a live dataplane: with none connected, 503 DATAPLANE_UNAVAILABLE is the truth, not a failure. */
const LIVE = /\/dataplanes\/\{name\}\/(stats|rules|trace|clusters|listeners|config_dump)$/;

describe('every API route under generated input (real app, inject)', () => {
  let cp: TestControlPlane;
  let routes: Route[];
  const unavailable = { count: 0 };

  beforeAll(async () => {
    // Every inject comes from one address; the failed-auth limit (security.test.ts) would soon turn the admin routes into 429s.
    cp = await startTestApp({ authFailures: { limit: Number.MAX_SAFE_INTEGER } });
    const seeded = await applyYaml(
      cp.app,
      [
        'type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: 198.18.0.1\n  outbound:\n    - port: 8080\n      tags: { kuma.io/service: backend }\n',
        'type: Dataplane\nmesh: default\nname: backend\nnetworking:\n  address: 198.18.0.2\n  inbound:\n    - port: 5000\n      tags: { kuma.io/service: backend, kuma.io/protocol: http }\n',
        'type: MeshTimeout\nmesh: default\nname: timeouts\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n',
      ].join('---\n'),
    );
    expect(seeded.statusCode).toBe(200);
    const doc = (await cp.app.inject('/openapi.json')).json<{ paths: Record<string, Record<string, Operation>> }>();
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
  });
  afterAll(() => cp?.close());

  it('the OpenAPI document lists the routes (so the property below covers them all)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(30);
  });

  it(`no 5xx, no hang; every error a coded 4xx (${settings.numRuns} inputs spread over the routes, at least 30 each, seed ${settings.seed})`, async () => {
    const perRoute = Math.max(30, Math.ceil(settings.numRuns / routes.length));
    let total = 0;
    let answered = 0;
    for (const route of routes) {
      // An SSE stream never ends by itself; its validation answers at once, a valid query starts a stream we do not wait for.
      if (route.path === '/api/flows/stream') continue;
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (req) => {
          const res = await withinTimeAsync(() => cp.app.inject({ ...req, method: req.method as 'GET' }));
          total++;
          const where = `${req.method} ${req.url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
          if (res.statusCode < 400) {
            answered++;
            return;
          }
          const body = res.json<{ code: MeshcapErrorCode; message: string }>();
          expect(errorRegistry[body.code]?.status, where).toBe(res.statusCode);
          expect(body.message.length, where).toBeGreaterThan(0);
          if (res.statusCode === 503 && body.code === 'MESHCAP_ERR_DATAPLANE_UNAVAILABLE' && LIVE.test(route.path)) {
            unavailable.count++;
            return;
          }
          expect(res.statusCode, where).toBeLessThan(500);
        }),
        { ...settings, numRuns: perRoute },
      );
    }
    expect(total).toBeGreaterThanOrEqual(perRoute * (routes.length - 1));
    // Generated from the schemas, many requests get past validation into the handlers.
    expect(answered).toBeGreaterThan(total / 10);
  }, 600_000);

  it('the flow stream: a bad query is a coded 400 at once; a good one streams (aborted here)', async () => {
    const address = await cp.app.listen({ host: '127.0.0.1', port: 0 });
    const route = routes.find((r) => r.path === '/api/flows/stream')!;
    await fc.assert(
      fc.asyncProperty(requestFor(route), async (req) => {
        const abort = new AbortController();
        const res = await fetch(`${address}${req.url}`, { signal: abort.signal, headers: req.headers });
        const status = res.status;
        if (status >= 400) {
          const body = (await res.json()) as { code: MeshcapErrorCode };
          expect(errorRegistry[body.code]?.status).toBe(status);
          expect(status).toBeLessThan(500);
        } else expect(res.headers.get('content-type')).toContain('text/event-stream');
        abort.abort();
      }),
      { ...settings, numRuns: Math.min(settings.numRuns, 60) },
    );
  });
});
