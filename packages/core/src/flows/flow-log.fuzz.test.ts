import { fuzzSettings } from '@meshcap/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from './flow.ts';
import { FlowLog } from './flow-log.ts';
import { FLOW_REASONS } from './reasons.ts';

// The ring copies every published record into its columns and builds records again on reads: what
// a reader gets must equal what was published, for any record shape (optional parts present or
// not, texts that are ASCII, not ASCII, or longer than a slot's text bytes), after any number of
// wrap-arounds, with the counters of an object ring.

const params = fuzzSettings(7005);

// Short ASCII (the common case, copied as bytes), any unicode (kept by reference), long (spills).
const text = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ minLength: 150, maxLength: 400 }));
const num = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.double({ noNaN: true }));
const address = fc.record({ address: text, port: fc.integer({ min: 0, max: 65535 }) });

const flowArb: fc.Arbitrary<FlowRecord> = fc.record(
  {
    id: text,
    connectionId: text,
    start: num,
    mesh: text,
    dataplane: text,
    direction: fc.constantFrom('inbound', 'outbound'),
    listener: text,
    cluster: text,
    capture: fc.constantFrom('redirect', 'tproxy', 'explicit'),
    protocol: fc.constantFrom('tcp', 'http'),
    client: address,
    destination: address,
    upstream: address,
    bytes: fc.record({ fromClient: num, toClient: num }),
    http: fc.record(
      {
        method: text,
        authority: text,
        path: text,
        status: fc.integer({ min: 100, max: 599 }),
        requestBytes: num,
        responseBytes: num,
        requestId: text,
        upgraded: fc.boolean(),
        attempts: fc.nat(5),
        version: fc.constant('HTTP/2' as const),
        grpc: fc.record({ service: text, method: text, status: fc.nat(16), message: text }, { requiredKeys: ['service', 'method'] }),
      },
      { requiredKeys: ['method', 'authority', 'path', 'requestBytes', 'responseBytes', 'requestId', 'attempts'] },
    ),
    timings: fc.record({ connectMs: num, firstByteMs: num, totalMs: num }, { requiredKeys: ['totalMs'] }),
    verdict: fc.constantFrom('forwarded', 'denied', 'faulted', 'error'),
    reason: fc.constantFrom(...Object.keys(FLOW_REASONS)) as fc.Arbitrary<FlowRecord['reason']>,
    close: fc.constantFrom('fin', 'client_reset', 'upstream_reset', 'idle_timeout', 'local', 'drain'),
    policies: fc.array(fc.record({ type: text, name: text, action: text }), { maxLength: 3 }),
    tls: fc.record({ mode: fc.constantFrom('mtls', 'plaintext'), verified: fc.boolean(), peer: fc.array(text, { maxLength: 2 }), version: text, cipher: text }, { requiredKeys: ['mode', 'verified'] }),
  },
  { requiredKeys: ['id', 'connectionId', 'start', 'mesh', 'dataplane', 'direction', 'listener', 'cluster', 'capture', 'protocol', 'client', 'destination', 'bytes', 'timings', 'verdict', 'policies'] },
);

describe(`flow ring properties (${params.numRuns} inputs each, seed ${params.seed})`, () => {
  it('reads back what was published: recent, since and find, across wrap-arounds, with the counters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(flowArb, { maxLength: 20 }), (capacity, flows) => {
        const log = new FlowLog(capacity);
        const seen: FlowRecord[] = [];
        log.subscribe((f) => seen.push(f));
        // A copy, so a ring that kept the caller's objects could not pass by sharing them.
        const published = flows.map((f) => structuredClone(f));
        for (const f of flows) log.publish(f);
        const held = published.slice(-capacity);
        expect(log.recent()).toEqual([...held].reverse());
        const page = log.since(0);
        expect(page.flows).toEqual(held);
        expect(page.missed).toBe(published.length - held.length);
        expect(page.cursor).toBe(published.length);
        expect([...log.newestFirst()]).toEqual([...held].reverse());
        // find returns the newest flow with that id (ids may repeat here).
        for (const f of held) expect(log.find(f.id)).toEqual([...held].reverse().find((h) => h.id === f.id));
        expect(log.stats()).toMatchObject({ capacity, size: held.length, published: published.length, evicted: published.length - held.length });
        // Subscribers get the published records themselves, in order.
        expect(seen.length).toBe(flows.length);
        seen.forEach((f, i) => expect(f).toBe(flows[i]));
      }),
      params,
    );
  });
});
