import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collectSse } from '../test-support.ts';
import { SseWriter } from './sse-writer.ts';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server whose one route hands its response to `serve` as an SseWriter, counting the response's writes. */
async function sseServer(maxQueuedBytes: number, serve: (sse: SseWriter, writes: () => number) => void): Promise<string> {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let writes = 0;
    const write = res.write.bind(res) as (chunk: string) => boolean;
    res.write = ((chunk: string) => (writes++, write(chunk))) as typeof res.write;
    serve(new SseWriter(res, maxQueuedBytes), () => writes);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('SseWriter', () => {
  it('writes the events of one turn in one write, in order, with their ids', async () => {
    let writes = () => -1;
    const url = await sseServer(1 << 20, (sse, written) => {
      for (let i = 0; i < 100; i++) sse.event('flow', JSON.stringify({ n: i }), i);
      sse.event('dropped', '{"dropped":0}');
      writes = written;
    });
    const { events, close } = await collectSse(url, (e) => e.length >= 101, { timeoutMs: 5_000 });
    close();
    expect(events.slice(0, 100).map((e) => [e.id, e.event, e.data])).toEqual(Array.from({ length: 100 }, (_, i) => [String(i), 'flow', { n: i }]));
    expect(events[100]).toEqual({ event: 'dropped', data: { dropped: 0 } });
    expect(writes()).toBe(1);
  });

  it('a comment goes out after what is queued; end() writes what is queued first', async () => {
    const url = await sseServer(1 << 20, (sse) => {
      sse.event('flow', '1');
      sse.raw(': ping\n\n');
      sse.event('flow', '2');
      sse.end();
    });
    const text = await (await fetch(url)).text();
    expect(text).toBe('event: flow\ndata: 1\n\n: ping\n\nevent: flow\ndata: 2\n\n');
  });

  it('skips an event once the client is further behind than the bound, and takes events again when it caught up', async () => {
    const results: boolean[] = [];
    const url = await sseServer(64, (sse) => {
      for (let i = 0; i < 5; i++) results.push(sse.event('flow', '"0123456789"'));
      setImmediate(() => setTimeout(() => (results.push(sse.event('flow', '"again"')), sse.end()), 50));
    });
    const text = await (await fetch(url)).text();
    // Each event is 29 bytes: two fit under 64 queued bytes, the third is taken at 58, the rest are skipped.
    expect(results).toEqual([true, true, true, false, false, true]);
    expect(text.match(/event: flow/g)).toHaveLength(4);
  });
});
