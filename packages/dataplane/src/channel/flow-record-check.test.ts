import { FLOW_REASONS } from '@meshcap/core';
import { fuzzSettings } from '@meshcap/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFlowRecord, flowRecordIssue } from './flow-record-check.ts';
import { flowRecordSchema } from './protocol.ts';

// The hand-written check must give zod's answer on every JSON value a dataplane could send: the
// same records accepted (with unknown keys stripped the same way) and the same refused. Inputs:
// records of the schema's shape with values at and past its limits, then broken in a few places
// (a value swapped for any JSON value, a key removed, a key added), and any JSON value at all.

const params = fuzzSettings(7017);

/** Mostly a valid value, now and then one at or past the schema's limit: so whole records are often valid. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<U>): fc.Arbitrary<T | U> => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: edge, weight: 1 });
const text = (max = 24) => mostly(fc.string({ maxLength: max }), fc.string({ minLength: 198, maxLength: 202 }));
const num = mostly(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.double({ noNaN: true, noDefaultInfinity: true })), fc.constantFrom(2 ** 53, -(2 ** 53), 0.5, -0, Number.MAX_VALUE));
const int = mostly(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(2 ** 53, 2 ** 53 - 1, 1.5, -1));
const oneOf = <T extends string>(valid: readonly T[], wrong: string) => mostly(fc.constantFrom(...valid), fc.constant(wrong));
const address = fc.record({ address: text(), port: int });

const flowLike = fc.record(
  {
    id: text(),
    connectionId: text(),
    start: num,
    mesh: text(),
    dataplane: text(),
    direction: oneOf(['inbound', 'outbound'], 'sideways'),
    listener: text(),
    cluster: text(),
    capture: oneOf(['redirect', 'tproxy', 'explicit'], 'other'),
    protocol: oneOf(['tcp', 'http'], 'udp'),
    client: address,
    destination: address,
    upstream: address,
    bytes: fc.record({ fromClient: num, toClient: num }),
    http: fc.record(
      {
        method: text(),
        authority: text(),
        path: text(),
        status: int,
        requestBytes: num,
        responseBytes: num,
        requestId: text(),
        upgraded: fc.boolean(),
        attempts: int,
        version: oneOf(['HTTP/2'], 'HTTP/3'),
        grpc: fc.record({ service: text(), method: text(), status: int, message: text() }, { requiredKeys: ['service', 'method'] }),
      },
      { requiredKeys: ['method', 'authority', 'path', 'requestBytes', 'responseBytes', 'requestId', 'attempts'] },
    ),
    timings: fc.record({ connectMs: num, firstByteMs: num, totalMs: num }, { requiredKeys: ['totalMs'] }),
    verdict: oneOf(['forwarded', 'denied', 'faulted', 'error'], 'lost'),
    reason: oneOf(Object.keys(FLOW_REASONS), 'not_a_reason'),
    close: oneOf(['fin', 'client_reset', 'upstream_reset', 'idle_timeout', 'local', 'drain'], 'rst'),
    policies: fc.array(fc.record({ type: text(), name: text(), action: text() }), { maxLength: 3 }),
    tls: fc.record(
      {
        mode: oneOf(['mtls', 'plaintext'], 'tls'),
        verified: fc.boolean(),
        peer: mostly(fc.array(fc.string({ maxLength: 24 }), { maxLength: 2 }), fc.oneof(fc.array(fc.constant('p'), { minLength: 63, maxLength: 66 }), fc.constantFrom(['x'.repeat(2048)], ['x'.repeat(2049)]))),
        version: mostly(fc.string({ maxLength: 12 }), fc.string({ minLength: 49, maxLength: 52 })),
        cipher: text(),
      },
      { requiredKeys: ['mode', 'verified'] },
    ),
  },
  { requiredKeys: ['id', 'connectionId', 'start', 'mesh', 'dataplane', 'direction', 'listener', 'cluster', 'capture', 'protocol', 'client', 'destination', 'bytes', 'timings', 'verdict', 'policies'] },
);

type Json = unknown;

/** Every path into a JSON value (objects' keys, arrays' indices), the value itself first. */
function paths(v: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

type Mutation = { kind: 'set'; pick: number; value: Json } | { kind: 'delete'; pick: number } | { kind: 'add'; pick: number; key: string; value: Json };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 1 }) }),
);

function mutate(record: Json, m: Mutation): Json {
  const all = paths(record);
  const path = all[m.pick % all.length]!;
  if (path.length === 0) return m.kind === 'set' ? m.value : record;
  let parent = record as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete' && !Array.isArray(parent)) delete parent[last];
  else if (m.kind === 'add') {
    const target = parent[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, Json>)[m.key] = m.value;
  }
  return record;
}

/** An HTTP flow as a dataplane sends it. */
const realFlow = {
  id: 'a1-1',
  connectionId: 'a1-c1',
  start: 1_700_000_000_000,
  mesh: 'default',
  dataplane: 'web',
  direction: 'inbound',
  listener: 'inbound:127.0.0.1:5000',
  cluster: 'localhost:5000',
  capture: 'explicit',
  protocol: 'http',
  client: { address: '127.0.0.1', port: 40000 },
  destination: { address: '127.0.0.1', port: 5000 },
  bytes: { fromClient: 61, toClient: 1100 },
  http: { method: 'GET', authority: 'web', path: '/', status: 200, requestBytes: 0, responseBytes: 1024, requestId: 'r1', attempts: 1 },
  timings: { totalMs: 0.4 },
  verdict: 'forwarded',
  policies: [],
};

/** Asserts both agree; returns whether the input was a flow record. */
function sameAsZod(input: Json): boolean {
  // JSON in, as off the wire: no undefined, no NaN, no class instances.
  const raw = JSON.parse(JSON.stringify(input)) as Json;
  const zod = flowRecordSchema.safeParse(structuredClone(raw));
  const ours = checkFlowRecord(raw);
  expect(ours !== undefined, `zod says ${zod.success ? 'valid' : flowRecordIssue(raw)}`).toBe(zod.success);
  if (zod.success) expect(ours).toStrictEqual(zod.data);
  expect(flowRecordIssue(raw) === undefined).toBe(zod.success);
  return zod.success;
}

describe(`checkFlowRecord equals flowRecordSchema.safeParse (${params.numRuns} inputs each, seed ${params.seed})`, () => {
  it('on records of the schema shape with values at and past its limits', () => {
    let valid = 0;
    fc.assert(fc.property(flowLike, (r) => void (valid += sameAsZod(r) ? 1 : 0)), params);
    // Else a limit the check got wrong could hide behind records refused for another reason.
    expect(valid).toBeGreaterThan(params.numRuns! / 10);
  });

  it('on such records broken in a few places', () => {
    fc.assert(
      fc.property(flowLike, fc.array(mutation, { minLength: 1, maxLength: 3 }), (r, ms) => void sameAsZod(ms.reduce<Json>((acc, m) => mutate(acc, m), JSON.parse(JSON.stringify(r))))),
      params,
    );
  });

  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void sameAsZod(v)), params);
  });

  it('on each of the schema\'s limits, just inside and just past it', () => {
    const tls = { mode: 'mtls', verified: true };
    const cases: Array<[string, (n: number) => Record<string, unknown>, number]> = [
      ['id', (n) => ({ id: 'i'.repeat(n) }), 200],
      ['id (empty)', (n) => ({ id: 'i'.repeat(n) }), 0],
      ['connectionId', (n) => ({ connectionId: 'c'.repeat(n) }), 200],
      ['tls.peer', (n) => ({ tls: { ...tls, peer: Array.from({ length: n }, () => 'spiffe://m/s') } }), 64],
      ['tls.peer[0]', (n) => ({ tls: { ...tls, peer: ['p'.repeat(n)] } }), 2048],
      ['tls.version', (n) => ({ tls: { ...tls, version: 'v'.repeat(n) } }), 50],
      ['tls.cipher', (n) => ({ tls: { ...tls, cipher: 'c'.repeat(n) } }), 200],
      ['client.port', (n) => ({ client: { address: 'a', port: 2 ** 53 - 1 + (n - 1) } }), 1],
    ];
    for (const [, change, limit] of cases) {
      for (const n of [limit - 1, limit, limit + 1]) if (n >= 0) sameAsZod({ ...realFlow, ...change(n) });
      expect(checkFlowRecord({ ...realFlow, ...change(limit) }) !== undefined).toBe(limit > 0);
      expect(checkFlowRecord({ ...realFlow, ...change(limit + 1) }) !== undefined).toBe(limit === 0);
    }
  });

  it('accepts a real HTTP flow, strips keys it does not know, and names the field of a refusal', () => {
    const flow = { ...realFlow, http: { ...realFlow.http, extra: true }, smuggled: 'x' };
    const checked = checkFlowRecord(flow);
    expect(checked).toBeDefined();
    expect(checked).not.toHaveProperty('smuggled');
    expect(checked?.http).not.toHaveProperty('extra');
    const broken = { ...flow, http: { ...flow.http, status: 200.5 } };
    expect(checkFlowRecord(broken)).toBeUndefined();
    expect(flowRecordIssue(broken)).toMatch(/^http\.status: /);
  });
});
