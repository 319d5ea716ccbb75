import type { FlowReasonCode } from '../../flows/reasons.ts';
/**
 * HTTP/1.1 message heads: a strict parser that keeps the raw bytes, so a head that passes through
 * unchanged is forwarded as it came (no re-serialising), and one that gains a header gets it
 * spliced in before the final CRLF. Anything ambiguous for framing (both Content-Length and
 * Transfer-Encoding, duplicated or malformed lengths, a final coding other than chunked, bare LF,
 * obs-fold, whitespace before the colon) is rejected: these are the request-smuggling vectors.
 */

/** The flow reason code of each status a head or body can be refused with (see access-log-format's flags). */
const REASON_OF_STATUS: Readonly<Record<number, FlowReasonCode>> = {
  408: 'request_headers_timeout',
  431: 'request_headers_too_large',
  501: 'unsupported_transfer_coding',
  502: 'upstream_protocol_error',
};

export class HttpParseError extends Error {
  override name = 'HttpParseError';
  /** The flow's reason code: `bad_request`, `request_headers_too_large`, `unsupported_transfer_coding`, … */
  readonly reason: FlowReasonCode;
  constructor(
    /** What to answer: 400 (or 408, 431, 501, 505) for a request, 502 for a response. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.reason = REASON_OF_STATUS[status] ?? 'bad_request';
  }
}

/** Bytes allowed for a head before the final CRLF CRLF (Envoy's default max_request_headers_kb is 60). */
export const MAX_HEAD_BYTES = 60 * 1024;
const MAX_HEADERS = 100;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB are not allowed in a field value. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
/** request-target: visible ASCII only. */
const BAD_TARGET_CHAR = /[^\x21-\x7e]/;
const DIGITS = /^[0-9]{1,15}$/;

export const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');

/** Facts about a head that decide framing and connection reuse, collected in one pass. */
interface FieldFacts {
  contentLength: number;
  /** The Content-Length value as received (to forward a canonical one when it has leading zeros). */
  contentLengthText: string | undefined;
  transferCodings: string[] | undefined;
  /** Transfer-Encoding field lines and the value of the last: one line reading exactly `chunked` passes unchanged. */
  transferEncodingLines: number;
  transferEncodingText: string | undefined;
  connectionClose: boolean;
  connectionKeepAlive: boolean;
  connectionUpgrade: boolean;
  upgrade: string | undefined;
  host: string | undefined;
  hostCount: number;
  expectContinue: boolean;
  requestId: string | undefined;
}

abstract class MessageHead {
  /** Flat list: name, value, name, value… (names as received). */
  readonly headers: string[];
  /** Header lines to add, each `name: value\r\n`, spliced in before the final CRLF. */
  private extra = '';
  /** True once a header was changed or removed: the head is then re-serialised from `headers`. */
  private rewritten = false;

  constructor(
    /** The bytes as received, request/status line through the final CRLF CRLF. */
    readonly raw: Buffer,
    headers: string[],
    /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
    readonly minor: 0 | 1,
  ) {
    this.headers = headers;
  }

  get protocol(): string {
    return this.minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
  }

  get modified(): boolean {
    return this.rewritten || this.extra !== '';
  }

  /** The first value of a header (case-insensitive name), or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i += 2) if (this.headers[i]!.toLowerCase() === lower) return this.headers[i + 1];
    return undefined;
  }

  /** Adds a header line (what the request-id pass does; cheap: the raw head is kept). */
  append(name: string, value: string): void {
    checkField(name, value);
    this.headers.push(name, value);
    this.extra += `${name}: ${value}\r\n`;
  }

  /** Replaces every value of `name` with one value (or adds it). */
  set(name: string, value: string): void {
    checkField(name, value);
    if (this.get(name) === undefined) return this.append(name, value);
    this.remove(name);
    this.append(name, value);
  }

  remove(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.headers.length - 2; i >= 0; i -= 2) {
      if (this.headers[i]!.toLowerCase() === lower) {
        this.headers.splice(i, 2);
        this.rewritten = true;
      }
    }
  }

  protected abstract startLine(): string;

  /** The start line changed: the head is re-serialised. */
  protected markRewritten(): void {
    this.rewritten = true;
  }

  /** The head to send: the raw bytes when unchanged, raw plus added lines, or a fresh serialisation. */
  toBuffer(): Buffer {
    if (this.rewritten) {
      let text = `${this.startLine()}\r\n`;
      for (let i = 0; i < this.headers.length; i += 2) text += `${this.headers[i]}: ${this.headers[i + 1]}\r\n`;
      return Buffer.from(`${text}\r\n`, 'latin1');
    }
    if (this.extra === '') return this.raw;
    // One buffer, one copy of the raw head: the added lines are encoded straight into it.
    const keep = this.raw.length - 2;
    const out = Buffer.allocUnsafe(keep + this.extra.length + 2);
    this.raw.copy(out, 0, 0, keep);
    out.write(this.extra, keep, 'latin1');
    out[out.length - 2] = 13;
    out[out.length - 1] = 10;
    return out;
  }
}

function checkField(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  if (BAD_VALUE_CHAR.test(value)) throw new TypeError(`invalid value for header ${name}`);
}

export class RequestHead extends MessageHead {
  constructor(
    raw: Buffer,
    headers: string[],
    minor: 0 | 1,
    readonly method: string,
    private _target: string,
    /** -1 when the request has no Content-Length; with `chunked` false that means no body. */
    readonly contentLength: number,
    readonly chunked: boolean,
    /** The client wants the connection kept open after this exchange. */
    readonly keepAlive: boolean,
    /** `Connection: upgrade` with an `Upgrade` header (WebSocket and friends). */
    readonly upgrade: boolean,
    readonly expectContinue: boolean,
    /** The Host header (or the authority of an absolute-form target). */
    readonly authority: string,
    readonly requestId: string | undefined,
  ) {
    super(raw, headers, minor);
  }

  get target(): string {
    return this._target;
  }

  /** Replaces the request target (a route's path rewrite) with an origin-form one. */
  setTarget(target: string): void {
    if (target.charCodeAt(0) !== 47 || /[\s\0]/.test(target)) throw new TypeError(`invalid request target ${JSON.stringify(target)}`);
    this._target = target;
    this.markRewritten();
  }

  /** A route's host rewrite: the Host header (`authority` stays what the client sent, for the flow). */
  setAuthority(authority: string): void {
    this.set('host', authority);
  }

  /** The path (with query) whatever the target form. */
  get path(): string {
    const t = this.target;
    if (t.charCodeAt(0) === 47 /* / */ || t === '*') return t;
    const scheme = t.indexOf('://');
    if (scheme > 0) {
      const slash = t.indexOf('/', scheme + 3);
      return slash < 0 ? '/' : t.slice(slash);
    }
    return t;
  }

  get hasBody(): boolean {
    return this.chunked || this.contentLength > 0;
  }

  protected startLine(): string {
    return `${this.method} ${this.target} HTTP/1.${this.minor}`;
  }
}

/** How the end of a response body is found. */
export type ResponseFraming = 'none' | 'length' | 'chunked' | 'close';

export class ResponseHead extends MessageHead {
  constructor(
    raw: Buffer,
    headers: string[],
    minor: 0 | 1,
    readonly status: number,
    readonly reason: string,
    readonly contentLength: number,
    readonly chunked: boolean,
    readonly connectionClose: boolean,
    readonly connectionKeepAlive: boolean,
  ) {
    super(raw, headers, minor);
  }

  /** Framing of this response's body, given the request it answers (RFC 9112 §6.3). */
  framing(requestMethod: string): ResponseFraming {
    const s = this.status;
    if (requestMethod === 'HEAD' || s < 200 || s === 204 || s === 304) return 'none';
    if (this.chunked) return 'chunked';
    if (this.contentLength >= 0) return this.contentLength === 0 ? 'none' : 'length';
    return 'close';
  }

  /** The upstream keeps the connection open after this response. */
  get keepAlive(): boolean {
    return this.minor === 1 ? !this.connectionClose : this.connectionKeepAlive && !this.connectionClose;
  }

  protected startLine(): string {
    return `HTTP/1.${this.minor} ${this.status} ${this.reason}`;
  }
}

/** Bytes of a token (RFC 9110 §5.6.2): what a field name and a method are made of. */
const TOKEN_BYTE = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_BYTE[c.charCodeAt(0)] = 1;

/** Node's Buffer has a direct latin1 decoder; `toString('latin1', …)` reaches it after argument checks we do not need per field. */
const latin1 = (buf: Buffer, start: number, end: number): string => (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/**
 * Parses the field lines (after the start line) of `raw` into `headers`, scanning the bytes (no
 * string of the whole head, no split, no regex per field), and returns the facts that matter for
 * framing. `lines` holds each line's start and end (see `lineBounds`); `bad` is the status to
 * answer (400 for requests, 502 for responses).
 */
function parseFields(raw: Buffer, lines: readonly number[], headers: string[], bad: number): FieldFacts {
  const facts: FieldFacts = {
    contentLength: -1,
    contentLengthText: undefined,
    transferCodings: undefined,
    transferEncodingLines: 0,
    transferEncodingText: undefined,
    connectionClose: false,
    connectionKeepAlive: false,
    connectionUpgrade: false,
    upgrade: undefined,
    host: undefined,
    hostCount: 0,
    expectContinue: false,
    requestId: undefined,
  };
  if (lines.length / 2 - 1 > MAX_HEADERS) throw new HttpParseError(431, `more than ${MAX_HEADERS} header fields`);
  for (let l = 2; l < lines.length; l += 2) {
    const lineStart = lines[l]!;
    const lineEnd = lines[l + 1]!;
    const first = raw[lineStart];
    if (first === 32 || first === 9) throw new HttpParseError(bad, 'obsolete line folding in header');
    let colon = lineStart;
    let tokenName = true;
    while (colon < lineEnd && raw[colon] !== 58) {
      if (TOKEN_BYTE[raw[colon]!] === 0) tokenName = false;
      colon++;
    }
    if (colon === lineEnd || colon === lineStart) throw new HttpParseError(bad, 'header line without a field name and colon');
    const name = latin1(raw, lineStart, colon);
    if (!tokenName) throw new HttpParseError(bad, `invalid header field name ${JSON.stringify(name)}`);
    let start = colon + 1;
    let end = lineEnd;
    while (start < end && (raw[start] === 32 || raw[start] === 9)) start++;
    while (end > start && (raw[end - 1] === 32 || raw[end - 1] === 9)) end--;
    for (let i = start; i < end; i++) {
      // Control characters other than HTAB are not allowed in a field value.
      const c = raw[i]!;
      if ((c < 32 && c !== 9) || c === 127) throw new HttpParseError(bad, `invalid character in header ${name}`);
    }
    const value = latin1(raw, start, end);
    headers.push(name, value);
    // Only a handful of names matter for framing; compare by length first to skip lowercasing most.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          facts.hostCount++;
          facts.host = value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect' && value.toLowerCase() === '100-continue') facts.expectContinue = true;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') facts.upgrade = value;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const token of value.split(',')) {
            const t = token.trim().toLowerCase();
            if (t === 'close') facts.connectionClose = true;
            else if (t === 'keep-alive') facts.connectionKeepAlive = true;
            else if (t === 'upgrade') facts.connectionUpgrade = true;
          }
        }
        break;
      case 12:
        if (name.toLowerCase() === 'x-request-id') facts.requestId ??= value;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (facts.contentLength !== -1) throw new HttpParseError(bad, 'more than one Content-Length');
          if (!DIGITS.test(value)) throw new HttpParseError(bad, `invalid Content-Length ${JSON.stringify(value)}`);
          facts.contentLength = Number(value);
          facts.contentLengthText = value;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          facts.transferCodings ??= [];
          facts.transferEncodingLines++;
          facts.transferEncodingText = value;
          for (const token of value.split(',')) {
            const t = token.trim().toLowerCase();
            if (t === '') throw new HttpParseError(bad, 'empty transfer coding');
            facts.transferCodings.push(t);
          }
        }
        break;
    }
  }
  return facts;
}

/** Transfer codings a response may carry before `chunked` (the registered content codings); the client decodes them. */
const RESPONSE_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);

/**
 * True when the codings end in exactly one `chunked`; throws when `chunked` is misplaced or repeated,
 * when the field came on more than one line (parsers disagree on joining them), and, for requests,
 * for any coding besides `chunked` (501: we cannot normalise what we do not decode), for
 * responses for any coding that is not registered.
 */
function chunkedFraming(f: FieldFacts, bad: number, request: boolean): boolean {
  const codings = f.transferCodings!;
  if (f.transferEncodingLines > 1) throw new HttpParseError(bad, 'more than one Transfer-Encoding field line');
  let count = 0;
  for (const c of codings) if (c === 'chunked') count++;
  if (count > 1) throw new HttpParseError(bad, 'chunked applied more than once');
  if (count === 1 && codings[codings.length - 1] !== 'chunked') throw new HttpParseError(bad, 'chunked is not the final transfer coding');
  for (const c of codings) {
    if (c === 'chunked') continue;
    if (request) throw new HttpParseError(501, `transfer coding ${JSON.stringify(c)} is not implemented`);
    if (!RESPONSE_CODINGS.has(c)) throw new HttpParseError(bad, `unknown transfer coding ${JSON.stringify(c)}`);
  }
  return count === 1;
}

/** Framing headers are forwarded in one canonical spelling: `chunked` alone, a length without leading zeros. */
function canonicalFraming(head: MessageHead, f: FieldFacts, chunked: boolean): void {
  if (chunked && f.transferCodings!.length === 1 && f.transferEncodingText !== 'chunked') head.set('transfer-encoding', 'chunked');
  if (f.contentLengthText !== undefined && f.contentLengthText.length > 1 && f.contentLengthText.charCodeAt(0) === 48) {
    head.set('content-length', String(f.contentLength));
  }
}

/** Line bounds of the head being parsed (start, end, start, end, …), reused: parsing is synchronous. */
const LINES: number[] = [];

/**
 * The start and end of each line of `raw` before its final CRLF CRLF, rejecting a bare CR or LF
 * anywhere (`bad`); two native byte searches per line.
 */
function lineBounds(raw: Buffer, bad: number): number[] {
  const lines = LINES;
  lines.length = 0;
  const last = Math.max(0, raw.length - 4);
  let p = 0;
  for (;;) {
    const cr = raw.indexOf(13, p);
    const lf = raw.indexOf(10, p);
    if (cr < 0 || cr >= last) {
      if (lf >= 0 && lf < last) throw new HttpParseError(bad, 'bare CR or LF in head (lines must end in CRLF)');
      lines.push(p, last);
      return lines;
    }
    if (cr + 1 >= last || lf !== cr + 1) throw new HttpParseError(bad, 'bare CR or LF in head (lines must end in CRLF)');
    lines.push(p, cr);
    p = cr + 2;
  }
}

/**
 * Index just past the CRLF CRLF that ends a head in `buf`, or -1 while it is incomplete. Walks the
 * line ends (one indexOf per line), so a bare LF is refused (`bad`) as soon as it arrives rather
 * than held until a CRLF CRLF that may never come; throws `tooLarge` when no end within the limit.
 */
export function findHeadEnd(buf: Buffer, from = 0, tooLarge = 431, bad = 400): number {
  let lf = buf.indexOf(10, Math.max(0, from - 3));
  while (lf >= 0) {
    if (lf === 0 || buf[lf - 1] !== 13) throw new HttpParseError(bad, 'bare LF in head (lines must end in CRLF)');
    if (lf >= 3 && buf[lf - 2] === 10) {
      if (lf - 3 > MAX_HEAD_BYTES) throw new HttpParseError(tooLarge, `head larger than ${MAX_HEAD_BYTES} bytes`);
      return lf + 1;
    }
    lf = buf.indexOf(10, lf + 1);
  }
  if (buf.length > MAX_HEAD_BYTES) throw new HttpParseError(tooLarge, `head larger than ${MAX_HEAD_BYTES} bytes`);
  return -1;
}

/** Parses a request head; `raw` runs from the request line through the final CRLF CRLF. */
export function parseRequestHead(raw: Buffer): RequestHead {
  const lines = lineBounds(raw, 400);
  const requestLine = latin1(raw, lines[0]!, lines[1]!);
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) !== -1) throw new HttpParseError(400, 'malformed request line');
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const version = requestLine.slice(sp2 + 1);
  if (!TOKEN.test(method)) throw new HttpParseError(400, 'invalid method');
  if (target === '' || BAD_TARGET_CHAR.test(target)) throw new HttpParseError(400, 'invalid request target');
  let minor: 0 | 1;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (/^HTTP\/[0-9]\.[0-9]$/.test(version)) throw new HttpParseError(505, `unsupported version ${version}`);
  else throw new HttpParseError(400, 'malformed request line');
  if (method === 'CONNECT') throw new HttpParseError(501, 'CONNECT is not proxied');

  const headers: string[] = [];
  const f = parseFields(raw, lines, headers, 400);
  let chunked = false;
  if (f.transferCodings !== undefined) {
    if (minor === 0) throw new HttpParseError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (f.contentLength !== -1) throw new HttpParseError(400, 'both Content-Length and Transfer-Encoding');
    chunked = chunkedFraming(f, 400, true);
    if (!chunked) throw new HttpParseError(400, 'request Transfer-Encoding does not end in chunked');
  }
  if (f.hostCount > 1) throw new HttpParseError(400, 'more than one Host header');
  let authority = f.host;
  const scheme = target.indexOf('://');
  if (scheme > 0) {
    const end = target.indexOf('/', scheme + 3);
    authority = target.slice(scheme + 3, end < 0 ? undefined : end);
  }
  if (minor === 1 && f.hostCount === 0) throw new HttpParseError(400, 'HTTP/1.1 request without Host');
  const keepAlive = minor === 1 ? !f.connectionClose : f.connectionKeepAlive && !f.connectionClose;
  const head = new RequestHead(
    raw,
    headers,
    minor,
    method,
    target,
    f.contentLength,
    chunked,
    keepAlive,
    f.connectionUpgrade && f.upgrade !== undefined,
    f.expectContinue,
    authority ?? '',
    f.requestId,
  );
  canonicalFraming(head, f, chunked);
  return head;
}

/** Parses a response head; `raw` runs from the status line through the final CRLF CRLF. */
export function parseResponseHead(raw: Buffer): ResponseHead {
  const lines = lineBounds(raw, 502);
  const statusLine = latin1(raw, lines[0]!, lines[1]!);
  // HTTP/1.1 200 OK — the reason phrase may be empty, and the space before it may be missing.
  if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || statusLine.charCodeAt(8) !== 32) {
    throw new HttpParseError(502, 'malformed status line');
  }
  const minorChar = statusLine.charCodeAt(7);
  if (minorChar !== 48 && minorChar !== 49) throw new HttpParseError(502, 'unsupported response version');
  const code = statusLine.slice(9, 12);
  if (!/^[1-9][0-9][0-9]$/.test(code) || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)) {
    throw new HttpParseError(502, 'malformed status code');
  }
  const headers: string[] = [];
  const f = parseFields(raw, lines, headers, 502);
  let chunked = false;
  let contentLength = f.contentLength;
  if (f.transferCodings !== undefined) {
    if (contentLength !== -1) throw new HttpParseError(502, 'both Content-Length and Transfer-Encoding');
    chunked = chunkedFraming(f, 502, false);
    // A response whose final coding is not chunked is delimited by the connection close.
    contentLength = -1;
  }
  const head = new ResponseHead(
    raw,
    headers,
    minorChar === 49 ? 1 : 0,
    Number(code),
    statusLine.slice(13),
    contentLength,
    chunked,
    f.connectionClose || (f.transferCodings !== undefined && !chunked),
    f.connectionKeepAlive,
  );
  canonicalFraming(head, f, chunked);
  return head;
}

/** Reason phrases for the statuses the proxy answers itself. */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};
