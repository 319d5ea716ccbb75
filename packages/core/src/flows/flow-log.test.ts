import { describe, expect, it } from 'vitest';
import type { FlowRecord } from './flow.ts';
import { FlowIds, FlowLog } from './flow-log.ts';

function flow(id: string): FlowRecord {
  return {
    id,
    connectionId: id,
    start: 0,
    mesh: 'default',
    dataplane: 'dp',
    direction: 'outbound',
    listener: 'outbound:passthrough:ipv4',
    cluster: 'outbound:passthrough:ipv4',
    capture: 'redirect',
    protocol: 'tcp',
    client: { address: '198.18.0.1', port: 40000 },
    destination: { address: '198.18.0.10', port: 5000 },
    bytes: { fromClient: 0, toClient: 0 },
    timings: { totalMs: 0 },
    verdict: 'forwarded',
    policies: [],
  };
}

describe('FlowLog', () => {
  it('keeps the newest flows and counts every eviction', () => {
    const log = new FlowLog(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) log.publish(flow(id));
    expect(log.recent().map((f) => f.id)).toEqual(['e', 'd', 'c']);
    expect(log.recent(2).map((f) => f.id)).toEqual(['e', 'd']);
    expect(log.stats()).toMatchObject({ capacity: 3, size: 3, published: 5, evicted: 2 });
    expect(log.find('d')?.id).toBe('d');
    expect(log.find('a')).toBeUndefined();
  });

  it('pages with a cursor and reports what a slow reader missed', () => {
    const log = new FlowLog(4);
    let cursor = log.cursor;
    log.publish(flow('a'));
    log.publish(flow('b'));
    let page = log.since(cursor, 1);
    expect(page).toMatchObject({ missed: 0, flows: [{ id: 'a' }] });
    cursor = page.cursor;
    for (const id of ['c', 'd', 'e', 'f', 'g']) log.publish(flow(id));
    page = log.since(cursor);
    // b and c were overwritten before this read: 2 missed, then d..g.
    expect(page.missed).toBe(2);
    expect(page.flows.map((f) => f.id)).toEqual(['d', 'e', 'f', 'g']);
    expect(log.since(page.cursor)).toEqual({ flows: [], cursor: page.cursor, missed: 0 });
  });

  it('calls subscribers synchronously, isolates a throwing one, and stops after unsubscribe', () => {
    const log = new FlowLog(2);
    expect(log.hasSubscribers).toBe(false);
    const seen: string[] = [];
    const off = log.subscribe((f) => seen.push(f.id));
    log.subscribe(() => {
      throw new Error('bad subscriber');
    });
    log.publish(flow('a'));
    off();
    log.publish(flow('b'));
    expect(seen).toEqual(['a']);
    expect(log.stats()).toMatchObject({ subscribers: 1, subscriberErrors: 2 });
  });

  it('keeps a flow as it was published, texts that are not ASCII or too long for a slot included', () => {
    const log = new FlowLog(2);
    const f = flow('a');
    f.http = { method: 'GET', authority: 'ünïcode.example', path: `/${'p'.repeat(300)}`, status: 200, requestBytes: 1, responseBytes: 2, requestId: 'r1', attempts: 1 };
    f.policies.push({ type: 'MeshRetry', name: 'r', action: 'retry 1/2 after 503' });
    log.publish(f);
    const published = structuredClone(f);
    f.verdict = 'error';
    f.http.path = '/changed';
    f.policies.length = 0;
    expect(log.find('a')).toEqual(published);
    expect(log.recent()[0]).not.toBe(f);
  });

  it('walks newest first and stops at flows overwritten while the walk was paused', () => {
    const log = new FlowLog(3);
    for (const id of ['a', 'b', 'c']) log.publish(flow(id));
    const walk = log.newestFirst()[Symbol.iterator]();
    expect(walk.next().value?.id).toBe('c');
    // d and e overwrite a and b: the walk ends after c instead of reading their slots.
    log.publish(flow('d'));
    log.publish(flow('e'));
    expect(walk.next().done).toBe(true);
    expect([...log.newestFirst()].map((f) => f.id)).toEqual(['e', 'd', 'c']);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new FlowLog(0)).toThrow(/positive integer/);
  });
});

describe('FlowIds', () => {
  it('makes distinct ids with a per-instance prefix', () => {
    const a = new FlowIds();
    const b = new FlowIds();
    expect(a.prefix).not.toBe(b.prefix);
    const ids = new Set([a.next(), a.next(), b.next()]);
    expect(ids.size).toBe(3);
    expect(a.next()).toMatch(new RegExp(`^${a.prefix}-3$`));
  });
});
