import { describe, expect, it } from 'vitest';
import { ChunkedFramer, LengthFramer } from './body.ts';
import { findHeadEnd, HttpParseError, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead } from './head.ts';

const req = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'));
const res = (text: string) => parseResponseHead(Buffer.from(text, 'latin1'));

function rejects(text: string, status = 400): string {
  try {
    req(text);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpParseError);
    expect((err as HttpParseError).status).toBe(status);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

describe('request heads', () => {
  it('parses a keep-alive GET and forwards its bytes unchanged', () => {
    const raw = 'GET /a?b=1 HTTP/1.1\r\nHost: svc:5000\r\nUser-Agent: t\r\n\r\n';
    const h = req(raw);
    expect(h).toMatchObject({ method: 'GET', target: '/a?b=1', path: '/a?b=1', minor: 1, authority: 'svc:5000', keepAlive: true, contentLength: -1, chunked: false, upgrade: false });
    expect(h.hasBody).toBe(false);
    expect(h.modified).toBe(false);
    expect(h.toBuffer().toString('latin1')).toBe(raw);
  });

  it('splices an added header before the final CRLF and re-serialises only on removal', () => {
    const h = req('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n');
    h.append('x-request-id', 'abc');
    expect(h.toBuffer().toString('latin1')).toBe('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nx-request-id: abc\r\n\r\n');
    h.remove('host');
    expect(h.toBuffer().toString('latin1')).toBe('POST /x HTTP/1.1\r\nContent-Length: 3\r\nx-request-id: abc\r\n\r\n');
    expect(h.get('X-REQUEST-ID')).toBe('abc');
  });

  it('reads framing and connection facts', () => {
    expect(req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n').chunked).toBe(true);
    expect(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n').contentLength).toBe(10);
    expect(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').keepAlive).toBe(false);
    expect(req('GET / HTTP/1.0\r\n\r\n').keepAlive).toBe(false);
    expect(req('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive).toBe(true);
    expect(req('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade).toBe(true);
    expect(req('GET http://b.example:8080/p?q HTTP/1.1\r\nHost: ignored\r\n\r\n')).toMatchObject({ authority: 'b.example:8080', path: '/p?q' });
    expect(req('GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: r1\r\n\r\n').requestId).toBe('r1');
  });

  it.each([
    ['CL and TE together', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['two Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n'],
    ['list Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n'],
    ['signed Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n'],
    ['TE not ending in chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
    ['chunked twice', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['space before colon', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
    ['bare LF', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
    ['bare CR in value', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
    ['NUL in value', 'GET / HTTP/1.1\r\nHost: a\0\r\n\r\n'],
    ['no Host in 1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
    ['two Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['space in target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['lower-case version', 'GET / http/1.1\r\nHost: a\r\n\r\n'],
    ['missing colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n'],
  ])('rejects %s with 400', (_what, text) => {
    rejects(text);
  });

  it('answers 501 for a transfer coding other than chunked: it cannot be normalised without decoding', () => {
    expect(rejects('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n', 501)).toContain('"identity"');
    rejects('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501);
    rejects('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n', 501);
  });

  it('forwards framing headers in one canonical spelling', () => {
    const te = req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n');
    expect(te.chunked).toBe(true);
    expect(te.toBuffer().toString('latin1')).toBe('POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n');
    const cl = req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n');
    expect(cl.contentLength).toBe(7);
    expect(cl.toBuffer().toString('latin1')).toBe('POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 7\r\n\r\n');
    const plain = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    expect(req(plain).toBuffer().toString('latin1')).toBe(plain);
  });

  it('refuses a bare LF as soon as it arrives, before any CRLF CRLF', () => {
    expect(() => findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\n\n', 'latin1'))).toThrow(/bare LF/);
    expect(() => findHeadEnd(Buffer.from('\nGET', 'latin1'))).toThrow(/bare LF/);
    expect(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n', 'latin1'))).toBe(-1);
  });

  it('answers 505 for HTTP/2.0 and 501 for CONNECT', () => {
    rejects('GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505);
    rejects('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', 501);
  });

  it('finds the end of a head, across chunk boundaries, and bounds its size', () => {
    const buf = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT');
    expect(findHeadEnd(buf)).toBe(buf.length - 4);
    expect(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r'))).toBe(-1);
    expect(findHeadEnd(buf, buf.length - 5)).toBe(buf.length - 4);
    expect(() => findHeadEnd(Buffer.alloc(MAX_HEAD_BYTES + 1, 'a'))).toThrow(/larger than/);
  });
});

describe('response heads', () => {
  it('parses status, framing and keep-alive', () => {
    const r = res('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n');
    expect(r).toMatchObject({ status: 200, reason: 'OK', contentLength: 12, keepAlive: true });
    expect(r.framing('GET')).toBe('length');
    expect(r.framing('HEAD')).toBe('none');
    expect(res('HTTP/1.1 204 No Content\r\n\r\n').framing('GET')).toBe('none');
    expect(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n').framing('GET')).toBe('chunked');
    expect(res('HTTP/1.1 200 OK\r\n\r\n').framing('GET')).toBe('close');
    expect(res('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').framing('GET')).toBe('none');
    expect(res('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n').keepAlive).toBe(false);
    expect(res('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n').keepAlive).toBe(false);
    expect(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')).toMatchObject({ keepAlive: false });
  });

  it('rejects ambiguous or malformed responses with 502', () => {
    for (const text of ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n']) {
      expect(() => res(text)).toThrow(HttpParseError);
      try {
        res(text);
      } catch (err) {
        expect((err as HttpParseError).status).toBe(502);
      }
    }
  });
});

describe('body framing', () => {
  it('counts down a Content-Length body and stops at its end', () => {
    const f = new LengthFramer(5);
    expect(f.scan(Buffer.from('abc'), 0)).toBe(3);
    expect(f.done).toBe(false);
    expect(f.scan(Buffer.from('deNEXT'), 0)).toBe(2);
    expect(f.done).toBe(true);
  });

  it('finds the end of a chunked body byte by byte, with extensions and trailers', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n1A\r\n' + 'x'.repeat(26) + '\r\n0\r\nTrailer: v\r\n\r\nGET /next');
    const whole = new ChunkedFramer();
    expect(whole.scan(body, 0)).toBe(body.length - 'GET /next'.length);
    expect(whole.done).toBe(true);
    const split = new ChunkedFramer();
    let end = -1;
    for (let i = 0; i < body.length && !split.done; i++) end = split.scan(body.subarray(i, i + 1), 0) + i;
    expect(end).toBe(body.length - 'GET /next'.length);
  });

  it.each([
    ['whitespace after size', '5 \r\nhello\r\n0\r\n\r\n'],
    ['no size', '\r\n'],
    ['missing CRLF after data', '5\r\nhelloX'],
    ['bare LF', '5\nhello'],
    ['oversized', 'fffffffffffffff\r\n'],
    ['negative', '-5\r\n'],
  ])('rejects a chunked body with %s', (_what, text) => {
    expect(() => new ChunkedFramer().scan(Buffer.from(text), 0)).toThrow(HttpParseError);
  });
});
