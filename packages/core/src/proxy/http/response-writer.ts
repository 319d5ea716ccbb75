import type { Socket } from 'node:net';
import type { FlowHttp, FlowReason, FlowRecord } from '../../flows/index.ts';
import type { HttpRoute } from '../chain.ts';
import { ChunkedFramer, CloseFramer, LengthFramer, type BodyFramer } from './body.ts';
import type { ExchangeState } from './exchange-state.ts';
import type { RequestHead, ResponseHead } from './head.ts';
import type { UpstreamConn } from './pool.ts';

/** What the response writer needs of its exchange. */
export interface ResponseTarget {
  readonly state: ExchangeState;
  readonly flow: FlowRecord;
  readonly http: FlowHttp;
  readonly route: HttpRoute;
  readonly request: RequestHead;
  readonly client: Socket;
  /** The client connection ends after this exchange (drain, max_connection_duration). */
  readonly clientClosing: boolean;
  /** The upstream connection in use; null once dropped. */
  readonly upstream: UpstreamConn | null;
  /** The whole response went to the client. */
  responseDone(): void;
  /** The exchange cannot go on: both connections are reset, the flow says why. */
  resetBoth(reason: FlowReason): void;
}

/**
 * Writes an upstream's response to the client: the head (as received when unchanged, in one
 * write with the body bytes that came with it), then the body bytes as they come while its framer
 * finds where it ends, with backpressure both ways and the route's bandwidth limit.
 */
export class ResponseWriter {
  private framer: BodyFramer | null = null;

  constructor(private readonly ex: ResponseTarget) {}

  /** The body ends when the upstream closes (no length, not chunked). */
  get closeDelimited(): boolean {
    return this.framer instanceof CloseFramer;
  }

  /** Sends the final response head `head`; `rest`: the bytes that came after it. */
  sendHead(head: ResponseHead, rest: Buffer): void {
    const ex = this.ex;
    const state = ex.state;
    const client = ex.client;
    ex.http.status = head.status;
    const framing = head.framing(ex.request.method);
    this.framer = framing === 'length' ? new LengthFramer(head.contentLength) : framing === 'chunked' ? new ChunkedFramer(502) : framing === 'close' ? new CloseFramer() : null;
    if (framing === 'close') state.closeAfter = true;
    if (ex.clientClosing && head.keepAlive && framing !== 'close') {
      // Draining: tell the client this connection ends with this response (as Envoy does).
      head.set('connection', 'close');
      state.closeAfter = true;
    }
    state.response = 'body';
    const headBuf = head.toBuffer();
    ex.flow.bytes.toClient += headBuf.length;
    if (!this.framer) {
      client.write(headBuf);
      if (rest.length && ex.upstream) ex.upstream.usable = false;
      ex.responseDone();
      return;
    }
    if (headBuf === head.raw && rest.length > 0 && rest.buffer === headBuf.buffer && headBuf.byteOffset + headBuf.length === rest.byteOffset) {
      // The head passes unchanged and its body follows it in the same read: one write, no copy.
      this.forward(Buffer.from(rest.buffer, headBuf.byteOffset, headBuf.length + rest.length), headBuf.length, headBuf.length);
      return;
    }
    client.cork();
    client.write(headBuf);
    this.forward(rest, 0);
    client.uncork();
  }

  /** Forwards the body bytes of `buf` from `start`; `headBytes` already-counted head bytes just before `start` go in the same write. */
  forward(buf: Buffer, start: number, headBytes = 0): void {
    const ex = this.ex;
    const framer = this.framer!;
    let end: number;
    try {
      end = framer.scan(buf, start);
    } catch (err) {
      // The head is already with the client; a broken body can only be signalled by closing.
      ex.resetBoth(`upstream_protocol_error: ${(err as Error).message}`);
      return;
    }
    const n = end - start;
    if (n > 0 || headBytes > 0) {
      ex.http.responseBytes += n;
      ex.flow.bytes.toClient += n;
      const from = start - headBytes;
      const ok = ex.client.write(from === 0 && end === buf.length ? buf : buf.subarray(from, end));
      if (ex.route.responseBytesPerSecond > 0) this.throttle(n);
      else if (!ok) ex.upstream?.socket.pause();
    }
    if (framer.done) {
      if (end < buf.length && ex.upstream) ex.upstream.usable = false;
      ex.responseDone();
    }
  }

  /** The client took what was written: read the upstream again (unless the bandwidth limit holds it). */
  clientDrained(): void {
    if (this.ex.state.response === 'body' && !this.ex.state.throttled) this.ex.upstream?.socket.resume();
  }

  /** Response bandwidth limit: after n bytes, stop reading the upstream for n/rate seconds. */
  private throttle(n: number): void {
    const ex = this.ex;
    const socket = ex.upstream?.socket;
    if (!socket) return;
    ex.state.throttled = true;
    socket.pause();
    setTimeout(() => {
      ex.state.throttled = false;
      if (!ex.client.writableNeedDrain) socket.resume();
    }, (n / ex.route.responseBytesPerSecond) * 1000);
  }
}
