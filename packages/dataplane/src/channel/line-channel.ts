import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { MAX_LINE_BYTES } from './protocol.ts';

/**
 * Newline-delimited JSON over a socket, both ways, each line checked against `incoming`.
 * A line that is too long or not a valid message closes the channel with the reason: a peer
 * that breaks the protocol is not guessed at.
 */
export class LineChannel<In, Out> {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private closed = false;
  private closeReason = '';
  private readonly closeHandlers: Array<(reason: string) => void> = [];

  constructor(
    readonly socket: Duplex,
    private readonly incoming: z.ZodType<In>,
    private readonly onMessage: (msg: In) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close(this.closeReason || 'closed by peer'));
    socket.on('end', () => this.close('closed by peer'));
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1 && !this.closed; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.bufferedBytes ? Buffer.concat([...this.buffered, piece]).toString('utf8') : piece.toString('utf8');
      this.buffered = [];
      this.bufferedBytes = 0;
      start = nl + 1;
      if (line.trim()) this.handleLine(line);
    }
    if (this.closed || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    this.bufferedBytes += rest.length;
    if (this.bufferedBytes > MAX_LINE_BYTES) {
      this.close(`protocol error: a message is longer than ${MAX_LINE_BYTES} bytes`);
      return;
    }
    this.buffered.push(Buffer.from(rest));
  }

  private handleLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.close('protocol error: a message is not JSON');
      return;
    }
    const parsed = this.incoming.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.close(`protocol error: bad message (${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'})`);
      return;
    }
    this.onMessage(parsed.data);
  }

  /** Queues a message; false when the channel is closed. */
  send(msg: Out): boolean {
    return this.sendLine(JSON.stringify(msg));
  }

  /** Queues a message already serialised (one JSON object, no newline; the caller's to get right); false when the channel is closed. */
  sendLine(json: string): boolean {
    if (this.closed) return false;
    this.socket.write(`${json}\n`);
    return true;
  }

  /** Bytes written but not yet taken by the kernel: a slow peer shows here. */
  get pendingBytes(): number {
    return (this.socket as Duplex & { writableLength?: number }).writableLength ?? 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(fn: (reason: string) => void): void {
    if (this.closed) fn(this.closeReason);
    else this.closeHandlers.push(fn);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.socket.end();
    // A peer that does not finish the close in time is cut off.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
    for (const fn of this.closeHandlers.splice(0)) fn(reason);
  }
}
