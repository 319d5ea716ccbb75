import { fuzzSettings, mutateJson, withinTime, type Json } from '@meshcap/testkit';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { errorRegistry, MeshcapError } from '../errors.ts';
import { parseResourceObject, parseResources, type Resource } from './parse.ts';

// Properties of resource parsing over hostile YAML/JSON: every input ends in resources that parse
// again to themselves, or in a coded MeshcapError with a 4xx naming where; never another throw,
// never a slow input (alias bombs, deep nesting). Seeded and short in the test command;
// `npm run fuzz` runs FUZZ_RUNS inputs per property.

const params = fuzzSettings(7001);

/** Valid resources of each kind, the starting points that mutations break a little at a time. */
const SEEDS: Json[] = [
  { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } },
  {
    type: 'Dataplane',
    mesh: 'default',
    name: 'web',
    networking: { address: '198.18.0.1', inbound: [{ port: 5000, servicePort: 5001, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }], outbound: [{ port: 8080, tags: { 'kuma.io/service': 'backend' } }], transparentProxying: {} },
  },
  {
    type: 'MeshTimeout',
    mesh: 'default',
    name: 't',
    spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '30s', http: { requestTimeout: '5s', requestHeadersTimeout: '2s' } } }] },
  },
  { type: 'MeshTrafficPermission', mesh: 'default', name: 'p', spec: { targetRef: { kind: 'MeshService', name: 'backend' }, from: [{ targetRef: { kind: 'MeshSubset', tags: { env: 'dev' } }, default: { action: 'Deny' } }] } },
  {
    type: 'MeshFaultInjection',
    mesh: 'default',
    name: 'f',
    spec: { targetRef: { kind: 'MeshService', name: 'backend' }, from: [{ targetRef: { kind: 'Mesh' }, default: { http: [{ abort: { httpStatus: 500, percentage: 50 } }, { delay: { value: '1s', percentage: '12.5' } }] } }] },
  },
  {
    type: 'MeshRetry',
    mesh: 'default',
    name: 'r',
    spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'backend' }, default: { http: { numRetries: 3, backOff: { baseInterval: '15ms', maxInterval: '1s' }, retryOn: ['5xx'] } } }] },
  },
  {
    type: 'MeshRateLimit',
    mesh: 'default',
    name: 'l',
    spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { local: { http: { requestRate: { num: 5, interval: '10s' }, onRateLimit: { status: 423 } } } } }] },
  },
  { apiVersion: 'kuma.io/v1alpha1', kind: 'MeshTimeout', metadata: { name: 'k8s', namespace: 'kuma-system', labels: { 'kuma.io/mesh': 'default' } }, spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '1h' } }] } },
];

/** Values that hit the schemas' edges: wrong types, empty, huge, negative, durations, odd keys. */
const edgeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, '', '0', '-1', '1e309', 'NaN', '5xx', '30s', '-5s', '1h1m', '99999999999999999999h', 'Mesh', 'MeshService', 'Deny', 'Allow', '__proto__', 'constructor', 0, -1, 65536, 1.5, 1e308, [], {}, { kind: 'Mesh' }),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** A seed with 1–4 random mutations: replace, delete or add a key anywhere. */
const mutated: fc.Arbitrary<Json> = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace' as const, 'delete' as const, 'add' as const), edgeValue, fc.constantFrom('type', 'name', 'mesh', 'kind', 'spec', 'port', 'tags', 'x', '__proto__')), { minLength: 1, maxLength: 4 }),
  )
  .map(([seed, edits]) => mutateJson(seed, edits));

/** Text the YAML reader has to survive: alias bombs, deep flow nesting, tags, directives, control bytes. */
const hostileYaml = fc.oneof(
  fc.integer({ min: 2, max: 12 }).map((n) => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    return `type: Mesh\nname: bomb\n${lines.join('\n')}\n`;
  }),
  fc.integer({ min: 1, max: 3000 }).map((n) => `type: Mesh\nname: deep\nx: ${'['.repeat(n)}${']'.repeat(n)}\n`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom('%YAML 1.1\n---\ntype: Mesh\nname: a\n', '!!binary aGVsbG8=', 'type: !!js/function "x"\nname: a', 'type: Mesh\nname: a\nname: b\n', '---\n---\n...\n', '<<: *missing', '? [a]\n: b', 'type: Mesh\nname: a\n\t- x', '\uFEFFtype: Mesh\nname: a'),
  fc.string({ unit: fc.constantFrom('\x00', '\x1b', '\r', '\n', '\t', ' ', ':', '-', '&', '*', '!', '|', '>', '[', ']', '{', '}', '"', "'", '#', '%', 'a', 'type', 'Mesh', 'name'), maxLength: 80 }),
);

const anyText = fc.oneof(
  { arbitrary: mutated.map((v) => JSON.stringify(v)), weight: 3 },
  { arbitrary: mutated.map((v) => stringify(v)), weight: 3 },
  { arbitrary: fc.array(mutated, { maxLength: 3 }).map((vs) => vs.map((v) => stringify(v)).join('---\n')), weight: 2 },
  { arbitrary: fc.array(mutated, { maxLength: 3 }).map((vs) => JSON.stringify(vs)), weight: 1 },
  { arbitrary: hostileYaml, weight: 2 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
);

function checkError(err: unknown): void {
  if (!(err instanceof MeshcapError)) throw err;
  expect(err.status).toBeGreaterThanOrEqual(400);
  expect(err.status).toBeLessThan(500);
  expect(errorRegistry[err.code].status).toBe(err.status);
  expect(err.message.length).toBeGreaterThan(0);
  expect(err.issues.length).toBeGreaterThan(0);
}

/** What the store does with a parsed resource: JSON out, parsed again, the same. */
function asJsonValue(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function checkRoundTrip(resources: Resource[]): void {
  for (const r of resources) expect(parseResourceObject(JSON.parse(JSON.stringify(r)))).toEqual(r);
}

describe(`resource YAML/JSON parsing properties (${params.numRuns} inputs each, seed ${params.seed})`, () => {
  it('text: valid resources that round-trip, or a coded 4xx with issues; never another throw, never slow', () => {
    let parsed = 0;
    fc.assert(
      fc.property(anyText, (text) => {
        withinTime(() => {
          try {
            const resources = parseResources(text, { source: 'fuzz' });
            checkRoundTrip(resources);
            parsed++;
          } catch (err) {
            checkError(err);
          }
        }, 500);
      }),
      params,
    );
    // The generator reaches the validators' accepting paths too, not only their refusals.
    expect(parsed).toBeGreaterThan(0);
  });

  it('objects (JSON bodies): the same, without the YAML reader', () => {
    fc.assert(
      // What a JSON body can carry: fc.anything() also makes undefined inside arrays and -0, which JSON has not.
      fc.property(fc.oneof(mutated, fc.anything()).map(asJsonValue), (value) => {
        withinTime(() => {
          try {
            checkRoundTrip([parseResourceObject(value)]);
          } catch (err) {
            checkError(err);
          }
        });
      }),
      params,
    );
  });
});
