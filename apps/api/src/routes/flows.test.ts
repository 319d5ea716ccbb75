import { FLOW_REASONS, type FlowRecord } from '@meshcap/core';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSse, startTestApp, type TestControlPlane } from '../test-support.ts';
import { SSE_MAX_STREAMS } from './flows.ts';

let seq = 0;
function flow(over: Partial<FlowRecord> = {}): FlowRecord {
  seq++;
  return {
    id: `f00d-${seq}`,
    connectionId: `f00d-${seq}`,
    start: Date.UTC(2026, 10, 22, 10, 0, seq),
    mesh: 'default',
    dataplane: 'web',
    direction: 'inbound',
    listener: 'inbound:198.18.0.10:8080',
    cluster: 'localhost:8080',
    capture: 'redirect',
    protocol: 'tcp',
    client: { address: '198.18.0.1', port: 40000 + seq },
    destination: { address: '198.18.0.10', port: 8080 },
    upstream: { address: '127.0.0.1', port: 8080 },
    bytes: { fromClient: 10, toClient: 20 },
    timings: { connectMs: 0.5, firstByteMs: 1, totalMs: 2 },
    verdict: 'forwarded',
    policies: [],
    ...over,
  };
}

/** Opens the stream and collects events until `count` flow events arrived (bounded). */
function readStream(base: string, path: string, count: number, headers: Record<string, string> = {}) {
  return collectSse(`${base}${path}`, (events) => events.filter((e) => e.event === 'flow').length >= count, { headers, timeoutMs: 5_000 });
}

describe('flow routes', () => {
  let cp: TestControlPlane;
  let base: string;
  beforeAll(async () => {
    cp = await startTestApp({ flowCapacity: 50 });
    await cp.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(cp.app.server.address() as AddressInfo).port}`;
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'web' }, [flow(), flow({ verdict: 'error', reason: 'upstream_connect_refused', upstream: undefined }), flow({ direction: 'outbound', protocol: 'http' })]);
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'api' }, [flow({ dataplane: 'api' })], 3);
  });
  afterAll(() => cp.close());

  it('lists flows newest first, with filters and drop counters', async () => {
    const all = (await cp.app.inject('/api/flows')).json();
    expect(all.items.map((f: FlowRecord) => f.id)).toEqual(['f00d-4', 'f00d-3', 'f00d-2', 'f00d-1']);
    expect(all.drops).toEqual({ controlPlane: 0, dataplanes: 3, total: 3 });
    expect(all.dropped).toBe(3);
    const q = async (query: string) => (await cp.app.inject(`/api/flows?${query}`)).json().items.map((f: FlowRecord) => f.id);
    expect(await q('dataplane=web&verdict=error')).toEqual(['f00d-2']);
    expect(await q('direction=outbound')).toEqual(['f00d-3']);
    expect(await q('mesh=default&limit=2')).toEqual(['f00d-4', 'f00d-3']);
    expect(await q(`since=${Date.UTC(2026, 10, 22, 10, 0, 3)}`)).toEqual(['f00d-4', 'f00d-3']);
    expect(await q('since=2026-11-22T10:00:04Z')).toEqual(['f00d-4']);
    expect(await q('protocol=http')).toEqual(['f00d-3']);
    for (const bad of ['limit=0', 'limit=x', 'verdict=maybe', 'since=yesterday', 'direction=up']) {
      const res = await cp.app.inject(`/api/flows?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().issues[0].path).toMatch(/^query\./);
    }
  });

  it('returns one flow and its diagram', async () => {
    expect((await cp.app.inject('/api/flows/f00d-2')).json()).toMatchObject({ id: 'f00d-2', verdict: 'error' });
    const diagram = (await cp.app.inject('/api/flows/f00d-2/diagram')).json();
    expect(diagram.mermaid).toContain('upstream_connect_refused');
    expect((await cp.app.inject('/api/flows/nope')).statusCode).toBe(404);
    expect((await cp.app.inject('/api/flows/nope/diagram')).statusCode).toBe(404);
  });

  it("serves core's flow reason registry: each code with Envoy's flag (null where Envoy has none) and its meaning", async () => {
    const res = await cp.app.inject('/api/flow-reasons');
    expect(res.statusCode).toBe(200);
    const { total, items } = res.json() as { total: number; items: Array<{ code: string; flag: string | null; means: string }> };
    expect(items.map((r) => r.code)).toEqual(Object.keys(FLOW_REASONS));
    expect(total).toBe(items.length);
    expect(items.find((r) => r.code === 'upstream_connect_refused')).toEqual({ code: 'upstream_connect_refused', flag: 'UF', means: 'the upstream refused the connection' });
    expect(items.find((r) => r.code === 'redirect')?.flag).toBeNull();
  });

  it('streams new flows as Server-Sent Events, filtered', async () => {
    const stream = readStream(base, '/api/flows/stream?dataplane=web&verdict=forwarded', 2);
    await new Promise((r) => setTimeout(r, 200));
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'api' }, [flow({ dataplane: 'api' })]);
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'web' }, [flow({ verdict: 'denied' }), flow(), flow()]);
    const { events, contentType, close } = await stream;
    close();
    expect(contentType).toContain('text/event-stream');
    expect(events[0]).toMatchObject({ event: 'dropped', data: { dropped: 3 } });
    const flows = events.filter((e) => e.event === 'flow');
    expect(flows.map((e) => (e.data as FlowRecord).id)).toEqual(['f00d-7', 'f00d-8']);
    expect(flows.map((e) => Number(e.id))).toEqual([6, 7]);
  });

  it('resumes after Last-Event-ID with what was missed, then goes on live', async () => {
    const { events, close } = await readStream(base, '/api/flows/stream?dataplane=web', 3, { 'last-event-id': '4' });
    close();
    expect(events.filter((e) => e.event === 'flow').map((e) => e.id)).toEqual(['5', '6', '7']);
    const viaQuery = await readStream(base, '/api/flows/stream?lastEventId=6', 1);
    viaQuery.close();
    expect(viaQuery.events.find((e) => e.event === 'flow')?.id).toBe('7');
  });

  it('says how many flows a resume could not replay (evicted from the bounded ring)', async () => {
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'web' }, Array.from({ length: 60 }, () => flow()));
    const { events, close } = await readStream(base, '/api/flows/stream?lastEventId=0', 50);
    close();
    const dropped = events.find((e) => e.event === 'dropped')?.data as { missed: number; drops: { controlPlane: number } };
    // 68 flows in a ring of 50: ids 18..67 are kept; after id 0, ids 1..17 are gone.
    expect(dropped.missed).toBe(17);
    expect(dropped.drops.controlPlane).toBe(18);
    expect(events.filter((e) => e.event === 'flow')[0]?.id).toBe('18');
  });

  it(`serves at most ${SSE_MAX_STREAMS} live streams at once: one more gets 503 with a coded error`, async () => {
    const open = (): Promise<http.IncomingMessage> =>
      new Promise((resolve, reject) => http.get(`${base}/api/flows/stream`, resolve).on('error', reject));
    const held = await Promise.all(Array.from({ length: SSE_MAX_STREAMS }, open));
    try {
      expect(held.every((r) => r.statusCode === 200)).toBe(true);
      const refused = await fetch(`${base}/api/flows/stream`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'MESHCAP_ERR_TOO_MANY_STREAMS' });
      held.pop()!.destroy();
      // The closed stream's place is free again once the server has seen the close.
      let again: http.IncomingMessage | undefined;
      for (let i = 0; i < 50 && again?.statusCode !== 200; i++) {
        again?.destroy();
        await new Promise((r) => setTimeout(r, 20));
        again = await open();
      }
      expect(again?.statusCode).toBe(200);
      again?.destroy();
    } finally {
      for (const r of held) r.destroy();
    }
  });

  it("lists the hops of one request by its x-request-id", async () => {
    const http = (requestId: string) => ({ method: 'GET', authority: 'backend', path: '/', status: 200, requestBytes: 0, responseBytes: 0, requestId, attempts: 1 });
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'hops' }, [
      flow({ dataplane: 'hops', protocol: 'http', direction: 'outbound', http: http('rid-1') }),
      flow({ dataplane: 'hops', protocol: 'http', http: http('rid-2') }),
      flow({ dataplane: 'hops', protocol: 'http', http: http('rid-1') }),
    ]);
    const hops = (await cp.app.inject('/api/flows?requestId=rid-1')).json().items;
    expect(hops.map((f: FlowRecord) => [f.direction, f.http?.requestId])).toEqual([
      ['inbound', 'rid-1'],
      ['outbound', 'rid-1'],
    ]);
    expect((await cp.app.inject('/api/flows?requestId=')).statusCode).toBe(400);
  });
});
