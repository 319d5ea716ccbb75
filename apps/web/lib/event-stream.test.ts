import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture, type ApiFixture } from '../test/api-fixture.ts';
import { followEventStream, readEventStream, type StreamEvent } from './event-stream.ts';

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

describe('readEventStream', () => {
  it('parses events split anywhere across chunks, CRLF included, and skips comments', async () => {
    const events: StreamEvent[] = [];
    const end = await readEventStream(bodyOf([': ping\n\nretry: 50', '0\nid: 7\nevent: fl', 'ow\ndata: {"a":', '1}\r', '\n\r\ndata: x\ndata: y\n\n', 'data: unterminated']), (e) => events.push(e));
    expect(events).toEqual([
      { id: '7', event: 'flow', data: '{"a":1}' },
      { id: '7', event: 'message', data: 'x\ny' },
    ]);
    expect(end).toEqual({ lastId: '7', retry: 500 });
  });
});

describe('followEventStream', () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApiFixture();
  });
  afterAll(() => api.close());

  it('reconnects after the server ends the stream, resuming with Last-Event-ID', async () => {
    const seen: Array<string | undefined> = [];
    let n = 0;
    api.on('GET', '/api/stream', (req, res: ServerResponse) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      n++;
      res.end(`retry: 20\nid: ${n * 10}\nevent: flow\ndata: ${n}\n\n`);
    });
    const stop = new AbortController();
    const data: string[] = [];
    let opens = 0;
    const done = followEventStream('/api/stream', {
      signal: stop.signal,
      onOpen: () => opens++,
      onEvent: (e) => {
        data.push(e.data);
        if (data.length === 3) stop.abort();
      },
    });
    await done;
    expect(data).toEqual(['1', '2', '3']);
    expect(seen).toEqual([undefined, '10', '20']);
    expect(opens).toBe(3);
  });
});
