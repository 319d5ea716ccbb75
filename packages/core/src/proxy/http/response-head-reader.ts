import { findHeadEnd, parseResponseHead, type ResponseHead } from './head.ts';

/**
 * Collects an upstream's bytes until a whole response head is there, and holds the bytes that come
 * while the response passes run. A head is searched for from where the last read left off.
 */
export class ResponseHeadReader {
  private pending: Buffer | null = null;
  private scanFrom = 0;

  /** The head and the bytes after it, or undefined while the head is incomplete; throws HttpParseError (502). */
  read(chunk: Buffer): { head: ResponseHead; rest: Buffer } | undefined {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = findHeadEnd(buf, this.scanFrom, 502, 502);
    if (end < 0) {
      this.pending = buf;
      this.scanFrom = buf.length;
      return undefined;
    }
    const head = parseResponseHead(buf.subarray(0, end));
    this.reset();
    return { head, rest: buf.subarray(end) };
  }

  /** Keeps bytes that came while the response passes run. */
  hold(chunk: Buffer): void {
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
  }

  /** The bytes held, handed over. */
  take(): Buffer | null {
    const held = this.pending;
    this.pending = null;
    return held;
  }

  /** A new attempt: what the last one sent is forgotten. */
  reset(): void {
    this.pending = null;
    this.scanFrom = 0;
  }
}
