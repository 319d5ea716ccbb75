import { HttpParseError } from './head.ts';

/**
 * Finds where a message body ends in a stream of bytes, without copying or decoding them: the
 * bytes are forwarded as they arrived and the framer only tells how many belong to this message.
 */
export interface BodyFramer {
  /** Consumes body bytes of `buf` from `start`; returns the index just past the last one consumed. */
  scan(buf: Buffer, start: number): number;
  /** True once the whole body was consumed. */
  readonly done: boolean;
}

/** A body of Content-Length bytes. */
export class LengthFramer implements BodyFramer {
  constructor(private remaining: number) {}

  scan(buf: Buffer, start: number): number {
    const n = Math.min(this.remaining, buf.length - start);
    this.remaining -= n;
    return start + n;
  }

  get done(): boolean {
    return this.remaining === 0;
  }
}

/** A body that ends when the connection closes (responses without length). */
export class CloseFramer implements BodyFramer {
  readonly done = false;
  scan(buf: Buffer): number {
    return buf.length;
  }
}

const enum S {
  Size,
  /** Just after `;`: the first character of an extension name. */
  ExtName,
  /** In a name: more token characters, `=`, `;` or CR. */
  ExtNameMore,
  ExtValueStart,
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  /** After a closing quote: `;` or CR. */
  ExtAfterQuoted,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/** Longest chunk-size line, extensions included, and longest trailer section we accept. */
const MAX_EXT = 4096;
const MAX_TRAILERS = 16 * 1024;
/** 2^53 - 1 fits in 13 hex digits; more is certainly an attack. */
const MAX_SIZE_DIGITS = 13;

/** tchar (RFC 9110 §5.6.2), by byte. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** qdtext and the octet after a backslash: HTAB, SP, visible ASCII, obs-text (no DQUOTE or backslash for qdtext). */
const isQuotable = (c: number): boolean => c === 9 || (c >= 32 && c !== 127);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Chunked transfer coding (RFC 9112 §7.1), strictly: hex size with no whitespace, optional
 * extensions, CRLF everywhere, trailers, final CRLF. Chunk data is skipped in one step, so the
 * per-byte work is only on the few bytes of size lines.
 */
export class ChunkedFramer implements BodyFramer {
  private state = S.Size;
  private size = 0;
  private digits = 0;
  private extBytes = 0;
  private trailerBytes = 0;

  constructor(private readonly badStatus = 400) {}

  get done(): boolean {
    return this.state === S.Done;
  }

  private fail(message: string): never {
    throw new HttpParseError(this.badStatus, `chunked body: ${message}`);
  }

  /**
   * One byte of the chunk extensions: `;name` or `;name=token` or `;name="quoted"`, repeated, with no
   * whitespace (BWS is allowed by the grammar but never generated, and parsers disagree on it), so
   * every parser downstream splits them the same way.
   */
  private extension(c: number): void {
    switch (this.state) {
      case S.ExtName:
        if (!TCHAR[c]) this.fail('bad chunk extension name');
        this.state = S.ExtNameMore;
        return;
      case S.ExtNameMore:
      case S.ExtToken:
        if (TCHAR[c]) return;
        if (c === 59) this.state = S.ExtName;
        else if (c === 13) this.state = S.SizeLf;
        else if (c === 61 /* = */ && this.state === S.ExtNameMore) this.state = S.ExtValueStart;
        else this.fail('bad chunk extension');
        return;
      case S.ExtValueStart:
        if (c === 34 /* " */) this.state = S.ExtQuoted;
        else if (TCHAR[c]) this.state = S.ExtToken;
        else this.fail('bad chunk extension value');
        return;
      case S.ExtQuoted:
        if (c === 34) this.state = S.ExtAfterQuoted;
        else if (c === 92 /* \\ */) this.state = S.ExtQuotedPair;
        else if (!isQuotable(c)) this.fail('bad character in a quoted chunk extension');
        return;
      case S.ExtQuotedPair:
        if (!isQuotable(c)) this.fail('bad character in a quoted chunk extension');
        this.state = S.ExtQuoted;
        return;
      case S.ExtAfterQuoted:
        if (c === 59) this.state = S.ExtName;
        else if (c === 13) this.state = S.SizeLf;
        else this.fail('bad chunk extension');
        return;
    }
  }

  scan(buf: Buffer, start: number): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      switch (this.state) {
        case S.Data: {
          const n = Math.min(this.size, end - i);
          this.size -= n;
          i += n;
          if (this.size === 0) this.state = S.DataCr;
          continue;
        }
        case S.Size: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) this.fail('chunk size too large');
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) {
            this.fail('missing chunk size');
          } else if (c === 13) {
            this.state = S.SizeLf;
          } else if (c === 59 /* ; */) {
            this.state = S.ExtName;
          } else {
            this.fail('invalid character in chunk size');
          }
          break;
        }
        case S.ExtName:
        case S.ExtNameMore:
        case S.ExtValueStart:
        case S.ExtToken:
        case S.ExtQuoted:
        case S.ExtQuotedPair:
        case S.ExtAfterQuoted:
          if (++this.extBytes > MAX_EXT) this.fail('chunk extensions too long');
          this.extension(buf[i]!);
          break;
        case S.SizeLf:
          if (buf[i] !== 10) this.fail('chunk size line not ended by CRLF');
          this.digits = 0;
          this.extBytes = 0;
          this.state = this.size === 0 ? S.TrailerStart : S.Data;
          break;
        case S.DataCr:
          if (buf[i] !== 13) this.fail('chunk data not followed by CRLF');
          this.state = S.DataLf;
          break;
        case S.DataLf:
          if (buf[i] !== 10) this.fail('chunk data not followed by CRLF');
          this.state = S.Size;
          break;
        case S.TrailerStart:
          this.state = buf[i] === 13 ? S.EndLf : S.Trailer;
          if (this.state === S.Trailer) continue;
          break;
        case S.Trailer: {
          const c = buf[i]!;
          if (c === 13) this.state = S.TrailerLf;
          else if ((c < 32 && c !== 9) || c === 127 || ++this.trailerBytes > MAX_TRAILERS) this.fail('bad trailer section');
          break;
        }
        case S.TrailerLf:
          if (buf[i] !== 10) this.fail('trailer line not ended by CRLF');
          this.state = S.TrailerStart;
          break;
        case S.EndLf:
          if (buf[i] !== 10) this.fail('last chunk not ended by CRLF');
          this.state = S.Done;
          return i + 1;
        case S.Done:
          return i;
      }
      i++;
    }
    return i;
  }
}
