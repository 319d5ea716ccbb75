import type { FlowHttp, FlowRecord } from '../../flows/index.ts';
import { ChunkedFramer, LengthFramer, type BodyFramer } from './body.ts';
import type { ExchangeState } from './exchange-state.ts';
import type { RequestHead } from './head.ts';
import type { UpstreamConn } from './pool.ts';

/** The downstream side of the request writer: where request bytes come from. */
export interface RequestSource {
  /** Bytes read from the client and not yet used (the start of a body, a pipelined request). */
  pending: Buffer | null;
  pauseClient(): void;
  resumeClient(): void;
}

/** What the request writer needs of its exchange. */
export interface RequestTarget {
  readonly state: ExchangeState;
  readonly flow: FlowRecord;
  readonly http: FlowHttp;
  readonly request: RequestHead;
  readonly upstream: UpstreamConn | null;
  readonly downstream: RequestSource;
  /** Bytes moved (stream_idle_timeout counts from here). */
  streamActivity(): void;
  /** The request body broke the framing rules after its head went upstream. */
  requestBodyBroken(err: unknown): void;
  /** The whole request went upstream. */
  requestSent(): void;
}

/**
 * Writes the request to the upstream connection: the head (as the passes left it), then the body
 * bytes as the client sends them, never buffered, while a framer finds where the body ends; the
 * client is paused while the upstream does not take them.
 */
export class RequestWriter {
  private framer: BodyFramer | null = null;
  /** The head as it goes upstream (the same bytes on every attempt). */
  private head: Buffer | null = null;

  constructor(private readonly ex: RequestTarget) {}

  /** Fixes the head to send, once the request passes ran; its length, counted in the flow. */
  prepare(): number {
    this.head = this.ex.request.toBuffer();
    return this.head.length;
  }

  /** Sends the request on `conn` (now the exchange's upstream): the head, then the body read so far. */
  send(conn: UpstreamConn): void {
    const ex = this.ex;
    const state = ex.state;
    const socket = conn.socket;
    const first = state.request !== 'sent';
    socket.cork();
    socket.write(this.head!);
    if (first && ex.request.hasBody) {
      this.framer = ex.request.chunked ? new ChunkedFramer(400) : new LengthFramer(ex.request.contentLength);
      state.request = 'body';
      const rest = ex.downstream.pending;
      ex.downstream.pending = null;
      if (rest) this.forwardBody(rest);
    } else {
      state.request = 'sent';
    }
    socket.uncork();
    if (state.request === 'body' && !state.ended) ex.downstream.resumeClient();
  }

  /** Request body bytes from the client: forward the part that belongs to this request. */
  forwardBody(chunk: Buffer): void {
    const ex = this.ex;
    ex.streamActivity();
    const framer = this.framer!;
    let end: number;
    try {
      end = framer.scan(chunk, 0);
    } catch (err) {
      ex.requestBodyBroken(err);
      return;
    }
    ex.http.requestBytes += end;
    ex.flow.bytes.fromClient += end;
    const socket = ex.upstream!.socket;
    const ok = end === 0 || socket.write(end === chunk.length ? chunk : chunk.subarray(0, end));
    if (framer.done) {
      ex.state.request = 'sent';
      if (end < chunk.length) ex.downstream.pending = chunk.subarray(end);
      ex.requestSent();
    } else if (!ok) {
      ex.downstream.pauseClient();
    }
  }

  /** The upstream took what was written: read the client again. */
  upstreamDrained(): void {
    if (this.ex.state.request === 'body') this.ex.downstream.resumeClient();
  }
}
