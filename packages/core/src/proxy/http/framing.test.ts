import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../flows/index.ts';
import { dataplaneSchema } from '../../model/index.ts';
import { startDataplane, type DataplaneHandle } from '../engine.ts';
import { freePort } from '@meshcap/testkit';

// The request-smuggling corpus (RFC 9112 §6–7, §11 and the published CL.TE / TE.CL / TE.TE
// research) sent over real loopback connections through a real dataplane to a real upstream that
// records every byte it receives: a refused vector must leave the upstream with nothing (or, for a
// bad chunked body, at most the head and no complete request); an accepted one with exactly one
// request in canonical framing.

const HEADERS_TIMEOUT_MS = 300;

/** Writes `parts` (with `gapMs` between them), collects everything until the proxy closes (or the timeout). */
function exchange(port: number, parts: string[], gapMs = 0, timeoutMs = 3_000): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let writer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      clearInterval(writer);
      s.destroy();
      resolve({ data, closedAfterMs: performance.now() - t0 });
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('connect', () => {
      const queue = [...parts];
      if (gapMs === 0) s.write(queue.join(''), 'latin1');
      else {
        s.write(queue.shift()!, 'latin1');
        writer = setInterval(() => {
          const next = queue.shift();
          if (next === undefined) clearInterval(writer);
          else if (!s.destroyed) s.write(next, 'latin1');
        }, gapMs);
      }
    });
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('end', done);
    s.on('close', done);
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? done() : reject(err)));
  });
}

const status = (data: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(data)?.[1] ?? 0);

const H = 'Host: svc\r\nX-Request-Id: corpus\r\n';
const post = (headers: string, body = ''): string => `POST /p HTTP/1.1\r\n${H}${headers}\r\n${body}`;

/** Vectors refused from the head alone: nothing may reach the upstream. */
const HEAD_VECTORS: Array<[string, string, number, string]> = [
  // CL.TE and TE.CL: both framings present
  ['CL.TE', post('Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\nG'), 400, 'bad_request'],
  ['TE.CL', post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '8\r\nSMUGGLED\r\n0\r\n\r\n'), 400, 'bad_request'],
  // An HTTP/1.1 listener given HTTP/2 with prior knowledge (only grpc/http2 services get the AUTO codec).
  ['the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505, 'bad_request'],
  ['TE with CL: 0', post('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  // TE.TE obfuscations
  ['TE: xchunked', post('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n'), 501, 'unsupported_transfer_coding'],
  ['TE: "chunked" quoted', post('Transfer-Encoding: "chunked"\r\n', '0\r\n\r\n'), 501, 'unsupported_transfer_coding'],
  ['TE: identity, chunked', post('Transfer-Encoding: identity, chunked\r\n', '0\r\n\r\n'), 501, 'unsupported_transfer_coding'],
  ['TE: gzip, chunked', post('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), 501, 'unsupported_transfer_coding'],
  ['TE: identity alone', post('Transfer-Encoding: identity\r\nContent-Length: 0\r\n'), 400, 'bad_request'],
  ['TE: chunked, identity (chunked not last)', post('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE: chunked, chunked', post('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['two TE lines', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['two TE lines, second bogus', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE: ,chunked (empty coding)', post('Transfer-Encoding: ,chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['space before colon', post('Transfer-Encoding : chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['tab before colon', post('Transfer-Encoding\t: chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE folded onto the previous line', post('X-A: b\r\n Transfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE value on a folded line', post('Transfer-Encoding:\r\n chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE with vertical tab', post('Transfer-Encoding: chunked\x0b\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE with NUL', post('Transfer-Encoding: \x00chunked\r\n', '0\r\n\r\n'), 400, 'bad_request'],
  ['TE in HTTP/1.0', `POST /p HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'bad_request'],
  // Content-Length
  ['two equal CL', post('Content-Length: 1\r\nContent-Length: 1\r\n', 'a'), 400, 'bad_request'],
  ['two different CL', post('Content-Length: 1\r\nContent-Length: 2\r\n', 'ab'), 400, 'bad_request'],
  ['CL list', post('Content-Length: 1, 1\r\n', 'a'), 400, 'bad_request'],
  ['CL signed', post('Content-Length: +1\r\n', 'a'), 400, 'bad_request'],
  ['CL negative', post('Content-Length: -1\r\n'), 400, 'bad_request'],
  ['CL hex', post('Content-Length: 0x1\r\n', 'a'), 400, 'bad_request'],
  ['CL with inner space', post('Content-Length: 1 1\r\n', 'a'), 400, 'bad_request'],
  ['CL too long', post('Content-Length: 99999999999999999\r\n'), 400, 'bad_request'],
  // line endings
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: svc\n\n', 400, 'bad_request'],
  ['bare LF before the last CRLF', `GET / HTTP/1.1\r\n${H}X: a\n\r\n`, 400, 'bad_request'],
  ['bare CR line end', `GET / HTTP/1.1\r${H}\r\n`, 400, 'bad_request'],
  ['bare CR in a value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400, 'bad_request'],
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X: a\r\n\tb\r\n\r\n`, 400, 'bad_request'],
  // control bytes
  ['NUL in a value', `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, 400, 'bad_request'],
  ['DEL in a value', `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, 400, 'bad_request'],
  ['ESC in a value', `GET / HTTP/1.1\r\n${H}X: a\x1bb\r\n\r\n`, 400, 'bad_request'],
  ['control byte in a name', `GET / HTTP/1.1\r\n${H}X\x01Y: a\r\n\r\n`, 400, 'bad_request'],
  ['high byte in a name', `GET / HTTP/1.1\r\n${H}X\xe9: a\r\n\r\n`, 400, 'bad_request'],
  ['NUL in the target', `GET /a\x00b HTTP/1.1\r\n${H}\r\n`, 400, 'bad_request'],
  // size
  ['oversized head', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, 431, 'request_headers_too_large'],
  ['oversized head, never ended', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(70 * 1024)}`, 431, 'request_headers_too_large'],
];

/** Vectors in a chunked body: the head is already upstream, so only it may be there, and no request completes. */
const CHUNK = 'Transfer-Encoding: chunked\r\n';
const BODY_VECTORS: Array<[string, string]> = [
  ['space after the size', '5 \r\nhello\r\n0\r\n\r\n'],
  ['space before the size', ' 5\r\nhello\r\n0\r\n\r\n'],
  ['0x size', '0x5\r\nhello\r\n0\r\n\r\n'],
  ['negative size', '-5\r\nhello\r\n0\r\n\r\n'],
  ['size over 13 hex digits', '10000000000000000\r\nhello\r\n0\r\n\r\n'],
  ['no size', '\r\nhello\r\n0\r\n\r\n'],
  ['bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
  ['bare LF in an extension', '5;a\nhello\r\n0\r\n\r\n'],
  ['extension with whitespace', '5; a=b\r\nhello\r\n0\r\n\r\n'],
  ['extension without a name', '5;=b\r\nhello\r\n0\r\n\r\n'],
  ['extension with a bare CR in a quoted value', '5;a="b\rc"\r\nhello\r\n0\r\n\r\n'],
  ['extension with text after the quoted value', '5;a="b"c\r\nhello\r\n0\r\n\r\n'],
  ['extension with a control byte', '5;a=\x01\r\nhello\r\n0\r\n\r\n'],
  ['oversized extension', `5;a=${'x'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`],
  ['data longer than its size', '5\r\nhelloX\r\n0\r\n\r\n'],
  ['bare LF after the data', '5\r\nhello\n0\r\n\r\n'],
  ['control byte in a trailer', '0\r\nX: a\x00\r\n\r\n'],
  ['bare LF in the trailers', '0\r\nX: a\n\r\n'],
  ['last chunk not ended by CRLF', '0\r\n\rX'],
];

describe('HTTP/1.1 framing corpus through a dataplane (loopback)', () => {
  let dp: DataplaneHandle;
  let app: http.Server;
  let badApp: net.Server;
  let port: number;
  let badPort: number;
  /** Every byte the upstream received since the test began, and the requests it saw complete. */
  let received = '';
  let completed = 0;
  /** What the misbehaving upstream answers, by request path. */
  const badResponses = new Map<string, string>();

  const flowOf = (data: string): FlowRecord | undefined => {
    const id = /x-request-id: (\S+)/i.exec(data)?.[1];
    return dp.flows.recent().find((f) => f.http?.requestId === id);
  };

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        completed++;
        res.writeHead(200, { 'content-length': 2 }).end('ok');
      });
    });
    app.on('connection', (s: net.Socket) => s.on('data', (d: Buffer) => (received += d.toString('latin1'))));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    badApp = net.createServer((s) => {
      s.on('data', (d) => {
        const path = /^GET (\S+)/.exec(d.toString('latin1'))?.[1] ?? '';
        s.end(badResponses.get(path) ?? 'HTTP/1.1 500 X\r\ncontent-length: 0\r\n\r\n', 'latin1');
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => badApp.listen(0, '127.0.0.1', r));
    port = await freePort();
    badPort = await freePort();
    const inbound = (p: number, servicePort: number, service: string) => ({ port: p, servicePort, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } });
    dp = await startDataplane({
      dataplane: dataplaneSchema.parse({
        type: 'Dataplane',
        name: 'framing',
        networking: {
          address: '127.0.0.1',
          inbound: [inbound(port, (app.address() as AddressInfo).port, 'app'), inbound(badPort, (badApp.address() as AddressInfo).port, 'bad')],
        },
      }),
      admin: false,
      requestHeadersTimeoutMs: HEADERS_TIMEOUT_MS,
    });
  });

  afterAll(async () => {
    await dp?.stop({ drainMs: 100 });
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
    await new Promise((r) => badApp?.close(r));
  });

  beforeEach(() => {
    received = '';
    completed = 0;
  });

  it.each(HEAD_VECTORS)('refuses %s with its status, a coded flow, and sends the upstream nothing', async (_what, text, expected, reason) => {
    const { data } = await exchange(port, [text]);
    expect(status(data)).toBe(expected);
    expect(data).toContain('connection: close');
    const flow = flowOf(data);
    expect(flow).toMatchObject({ verdict: 'error', http: { status: expected } });
    expect(flow!.reason!.split(':')[0]).toBe(reason);
    expect(received).toBe('');
    expect(completed).toBe(0);
  });

  it.each(BODY_VECTORS)('refuses a chunked body with %s: 400, the upstream gets at most the head and no request', async (_what, body) => {
    const head = post(CHUNK);
    const { data } = await exchange(port, [head + body]);
    expect(status(data)).toBe(400);
    expect(flowOf(data)?.reason).toMatch(/^bad_request: chunked body: /);
    // Streamed bodies: the head may have left before the bad bytes came (here it is still corked when they do).
    expect(['', head]).toContain(received);
    expect(completed).toBe(0);
  });

  it('times out a slowloris head (one header line per 100 ms) with 408 and a flow, upstream untouched', async () => {
    const lines = ['GET / HTTP/1.1\r\n', ...Array.from({ length: 30 }, (_, i) => `X-Slow-${i}: a\r\n`)];
    const { data, closedAfterMs } = await exchange(port, lines, 100);
    expect(status(data)).toBe(408);
    expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1_000);
    expect(flowOf(data)?.reason).toMatch(/^request_headers_timeout: /);
    expect(received).toBe('');
  });

  it('lets a head split over several reads in time through, with no timer left to fire', async () => {
    const parts = ['GET /ok HTTP/1.1\r\n', 'Host: svc\r\n', 'Connection: close\r\n', 'X-Request-Id: split\r\n\r\n'];
    const { data } = await exchange(port, parts, 40, 1_500);
    expect(status(data)).toBe(200);
    expect(completed).toBe(1);
  });

  it.each([
    ['plain chunked', 'Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'],
    ['Chunked in capitals', 'Transfer-Encoding: Chunked\r\n', 'transfer-encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'],
    ['valid chunk extensions', 'Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: chunked\r\n', '5;a=b;c="d \\" e"\r\nhello\r\n0\r\n\r\n'],
    ['CL with leading zeros', 'Content-Length: 005\r\n', 'content-length: 5\r\n', 'hello'],
  ])('forwards %s as one request in canonical framing', async (_what, framing, canonical, body) => {
    const { data } = await exchange(port, [`POST /p HTTP/1.1\r\n${H}Connection: close\r\n${framing}\r\n${body}`], 0, 1_500);
    expect(status(data)).toBe(200);
    expect(completed).toBe(1);
    expect(received.match(/^POST /gm)).toHaveLength(1);
    expect(received).toContain(canonical);
    expect(received.endsWith(body)).toBe(true);
  });

  it.each([
    ['TE with CL', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two TE lines', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
    ['unknown coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'],
    ['two different CL', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\r\n b\r\n\r\n'],
    ['NUL in a value', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\x00\r\n\r\n'],
  ])('answers 502 for an upstream response with %s', async (what, response) => {
    const path = `/${encodeURIComponent(what)}`;
    badResponses.set(path, response);
    const { data } = await exchange(badPort, [`GET ${path} HTTP/1.1\r\nHost: svc\r\nX-Request-Id: r-${encodeURIComponent(what)}\r\n\r\n`]);
    expect(status(data)).toBe(502);
    expect(flowOf(data)?.reason).toMatch(/^upstream_protocol_error: /);
  });
});

export const CORPUS_SIZE = { head: HEAD_VECTORS.length, body: BODY_VECTORS.length };
