import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedFramer } from './body.ts';
import { findHeadEnd, HttpParseError, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, type RequestHead } from './head.ts';

// Properties of the HTTP/1.1 head parser and the chunked framer over random input: every input
// ends in a well-formed parse or a coded HttpParseError with a 4xx (5xx for responses), never any
// other throw and never a slow input. Seeded and short inside the test command; `npm run fuzz`
// runs the same properties with FUZZ_RUNS (100,000) inputs each.

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const SEED = Number(process.env['FUZZ_SEED'] ?? 9112);
/** A parse this slow means a pathological path (a regex backtracking, a quadratic loop). */
const SLOW_MS = 250;
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

const REQUEST_STATUSES = new Set([400, 431, 501, 505]);
const REASONS = new Set(['bad_request', 'request_headers_too_large', 'unsupported_transfer_coding']);

// Pieces that reach the interesting branches, mixed with arbitrary bytes; weighted towards the
// well-formed, so that many inputs parse and the well-formedness checks run.
const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
const lineEnd = mostly(fc.constant('\r\n'), fc.constantFrom('\n', '\r', '\r\n ', '\r\n\t', '\n\r'));
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const name = mostly(
  fc.constantFrom('Host', 'Transfer-Encoding', 'transfer-encoding', 'Content-Length', 'Connection', 'Upgrade', 'Expect', 'X-Request-Id', 'X-A', 'Transfer-Encoding ', ' Host'),
  latin1,
);
const value = mostly(
  fc.constantFrom('chunked', 'Chunked', 'gzip, chunked', 'identity, chunked', 'chunked, chunked', 'chunked, gzip', ',chunked', '"chunked"', '0', '5', '005', '-1', '1, 1', '99999999999999999', 'close', 'keep-alive, upgrade', 'websocket', '100-continue', 'a'),
  latin1,
);
const separator = mostly(fc.constantFrom(': ', ':', ':\t'), fc.constantFrom(' : ', ': \t', ''));
const field = fc.tuple(name, separator, value, lineEnd).map(([n, s, v, e]) => `${n}${s}${v}${e}`);
const requestLine = fc
  .tuple(
    mostly(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'get'), fc.oneof(fc.constantFrom('CONNECT', 'G\x00T'), latin1)),
    mostly(fc.constant(' '), fc.constantFrom('  ', '\t')),
    mostly(fc.constantFrom('/', '/a?b=1', '*', 'http://h:1/p', 'http://h'), fc.oneof(fc.constantFrom('/a b', ''), latin1)),
    mostly(fc.constant(' '), fc.constant('  ')),
    mostly(fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), fc.constantFrom('HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1.12')),
    lineEnd,
  )
  .map((parts) => parts.join(''));
const structuredHead = fc
  .tuple(requestLine, fc.boolean(), fc.array(field, { maxLength: 6 }), mostly(fc.constant('\r\n'), fc.constantFrom('\n', '')))
  .map(([line, host, fields, end]) => Buffer.from(`${line}${host ? 'Host: a\r\n' : ''}${fields.join('')}${end}`, 'latin1'));
/** Well-formed requests with one framing header in any spelling a lenient parser accepts: what must come out canonical. */
const framingHead = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('chunked', 'Chunked', 'CHUNKED', ' chunked\t').map((v) => `Transfer-Encoding:${v}\r\n`),
      fc.tuple(fc.nat({ max: 3 }), fc.nat()).map(([zeros, n]) => `Content-Length: ${'0'.repeat(zeros)}${n}\r\n`),
    ),
    fc.array(field, { maxLength: 3 }),
  )
  .map(([framing, fields]) => Buffer.from(`POST /p HTTP/1.1\r\nHost: a\r\n${framing}${fields.join('')}\r\n`, 'latin1'));
const rawHead = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
const anyHead = fc.oneof({ arbitrary: structuredHead, weight: 4 }, { arbitrary: framingHead, weight: 2 }, { arbitrary: rawHead, weight: 1 });

type Outcome = { head: RequestHead } | { error: HttpParseError } | { incomplete: true };

/** What the session does with the bytes of one read: find the end, parse up to it. */
function parseRequestBytes(buf: Buffer): Outcome {
  try {
    const end = findHeadEnd(buf);
    if (end < 0) return { incomplete: true };
    return { head: parseRequestHead(buf.subarray(0, end)) };
  } catch (err) {
    if (err instanceof HttpParseError) return { error: err };
    throw err;
  }
}

function timed<T>(f: () => T): T {
  const t0 = performance.now();
  const r = f();
  const took = performance.now() - t0;
  if (took > SLOW_MS) throw new Error(`took ${took.toFixed(0)} ms`);
  return r;
}

/** A parsed request is well-formed: one canonical framing, and its bytes parse again to the same request. */
function checkWellFormed(h: RequestHead): void {
  expect(h.method).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
  expect(h.target).toMatch(/^[\x21-\x7e]+$/);
  expect(h.chunked && h.contentLength >= 0).toBe(false);
  const bytes = h.toBuffer();
  const te = h.get('transfer-encoding');
  if (h.chunked) expect(te).toBe('chunked');
  else expect(te).toBeUndefined();
  const cl = h.get('content-length');
  if (cl !== undefined) expect(cl).toBe(String(h.contentLength));
  const again = parseRequestHead(bytes);
  expect({ m: again.method, t: again.target, cl: again.contentLength, c: again.chunked, k: again.keepAlive, a: again.authority }).toEqual({
    m: h.method,
    t: h.target,
    cl: h.contentLength,
    c: h.chunked,
    k: h.keepAlive,
    a: h.authority,
  });
  expect(again.toBuffer().equals(bytes)).toBe(true);
}

describe(`HTTP head parser properties (${RUNS} inputs each, seed ${SEED})`, () => {
  it('request heads: a well-formed parse, a coded 4xx, or incomplete within the size limit; never another throw', () => {
    fc.assert(
      fc.property(anyHead, (buf) => {
        const out = timed(() => parseRequestBytes(buf));
        if ('incomplete' in out) expect(buf.length).toBeLessThanOrEqual(MAX_HEAD_BYTES);
        else if ('error' in out) {
          expect(REQUEST_STATUSES.has(out.error.status)).toBe(true);
          expect(REASONS.has(out.error.reason)).toBe(true);
        } else checkWellFormed(out.head);
      }),
      params,
    );
  });

  it('request heads: the same outcome whether the bytes come in one read or two (the session rescans from where it stopped)', () => {
    fc.assert(
      fc.property(structuredHead, fc.nat(), (buf, cut) => {
        const at = buf.length === 0 ? 0 : cut % buf.length;
        const whole = parseRequestBytes(buf);
        let split: Outcome;
        try {
          const first = findHeadEnd(buf.subarray(0, at));
          const end = first >= 0 ? first : findHeadEnd(buf, at);
          split = end < 0 ? { incomplete: true } : { head: parseRequestHead(buf.subarray(0, end)) };
        } catch (err) {
          if (!(err instanceof HttpParseError)) throw err;
          split = { error: err };
        }
        const summary = (o: Outcome): unknown => ('head' in o ? o.head.toBuffer().toString('latin1') : 'error' in o ? o.error.status : 'incomplete');
        expect(summary(split)).toEqual(summary(whole));
      }),
      params,
    );
  });

  it('response heads: a parse or a coded 502; never another throw', () => {
    const statusLine = fc
      .tuple(fc.constantFrom('HTTP/1.1 ', 'HTTP/1.0 ', 'HTTP/1.2 ', 'HTTP/1.1', 'http/1.1 '), fc.constantFrom('200', '204', '304', '101', '099', '2000', 'abc'), fc.constantFrom(' OK', '', ' ', ' \x00'), lineEnd)
      .map((p) => p.join(''));
    const response = fc
      .tuple(statusLine, fc.array(field, { maxLength: 8 }), fc.constantFrom('\r\n', '\n'))
      .map(([line, fields, end]) => Buffer.from(`${line}${fields.join('')}${end}`, 'latin1'));
    fc.assert(
      fc.property(fc.oneof(response, rawHead), (buf) => {
        timed(() => {
          try {
            const end = findHeadEnd(buf, 0, 502, 502);
            if (end < 0) return;
            const h = parseResponseHead(buf.subarray(0, end));
            expect(h.chunked && h.contentLength >= 0).toBe(false);
            if (h.chunked && h.get('transfer-encoding')!.indexOf(',') < 0) expect(h.get('transfer-encoding')).toBe('chunked');
          } catch (err) {
            if (!(err instanceof HttpParseError)) throw err;
            expect(err.status).toBe(502);
          }
        });
      }),
      params,
    );
  });

  it('chunked bodies: a coded 400 or an end, the same however the bytes are split', () => {
    const sizeLine = fc.tuple(fc.constantFrom('0', '5', '00005', 'a', 'A', ' 5', '5 ', '0x5', '-5', '', '10000000000000000'), fc.constantFrom('', ';a', ';a=b', ';a="b c"', '; a', ';a="\\"', ';=', ';a\n'), lineEnd);
    const chunk = fc.tuple(sizeLine, fc.string({ maxLength: 12 }), lineEnd).map(([[size, ext, e1], data, e2]) => `${size}${ext}${e1}${data}${e2}`);
    const body = fc
      .tuple(fc.array(chunk, { maxLength: 4 }), fc.constantFrom('0\r\n\r\n', '0\r\nX: a\r\n\r\n', '0\r\n\n', '0\r\nX: \x00\r\n\r\n', ''))
      .map(([chunks, last]) => Buffer.from(chunks.join('') + last, 'latin1'));
    const run = (buf: Buffer, cuts: number[]): string => {
      const f = new ChunkedFramer(400);
      let from = 0;
      try {
        for (const cut of [...cuts, buf.length]) {
          const piece = buf.subarray(from, Math.max(from, cut));
          const end = f.scan(piece, 0);
          if (f.done) return `done at ${from + end}`;
          expect(end).toBe(piece.length);
          from = Math.max(from, cut);
        }
        return 'incomplete';
      } catch (err) {
        if (!(err instanceof HttpParseError)) throw err;
        expect(err.status).toBe(400);
        return 'refused';
      }
    };
    fc.assert(
      fc.property(fc.oneof(body, rawHead), fc.array(fc.nat(), { maxLength: 4 }), (buf, cuts) => {
        const sorted = cuts.map((c) => (buf.length === 0 ? 0 : c % buf.length)).sort((a, b) => a - b);
        expect(timed(() => run(buf, sorted))).toBe(run(buf, []));
      }),
      params,
    );
  });
});
