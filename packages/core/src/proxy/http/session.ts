import type { Socket } from 'node:net';
import { flowReason } from '../../flows/index.ts';
import { newRequestId } from '../chain.ts';
import { ms, newFlow, type Accepted, type EngineContext, type OpenConnection } from '../context.ts';
import { countStatusClass } from '../stats.ts';
import { Exchange, type Downstream } from './h1-exchange.ts';
import { findHeadEnd, HttpParseError, parseRequestHead, type RequestHead } from './head.ts';
import { idleSweep, type IdleTracked } from './idle-sweep.ts';
import { localReplyBytes } from './local-reply.ts';

// The HTTP/2 session takes these from here.
export { DEFAULT_RETRY_METHODS } from './retry.ts';

/** Bytes read ahead of need (pipelined requests, early body) before the client is paused. */
const PENDING_LIMIT = 64 * 1024;

export interface HttpTimeouts {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** From the first byte of a request head to its end (Envoy's request_headers_timeout); 0 disables. */
  requestHeadersTimeoutMs: number;
  /** Drain the connection after this long (Envoy's max_connection_duration); 0 never. */
  maxConnectionDurationMs: number;
}

/**
 * One downstream HTTP/1.1 connection: reads the client, finds and parses each request head and
 * hands it to an Exchange (h1-exchange.ts); keep-alive, the head and connection timeouts, and the
 * answer to a request that cannot be parsed. Bodies are never buffered: their bytes are forwarded
 * as they arrive while a framer finds where they end. One request is in flight at a time; bytes
 * read ahead of need (pipelined requests) are held up to PENDING_LIMIT, beyond which the client is
 * not read until they are wanted, so nothing piles up.
 */
export class HttpSession implements OpenConnection, IdleTracked, Downstream {
  pending: Buffer | null = null;
  /** Keep-alive idle timeout: since when no request is in flight (or bytes last came). */
  idleSince = performance.now();
  private scanFrom = 0;
  ex: Exchange | null = null;
  private closed = false;
  private paused = false;
  /** We ended our side (or answered a request we could not parse): nothing more is read. */
  private ending = false;
  private clientEnded = false;
  /** `next()` is running: an exchange that ends synchronously inside it must not start another (no recursion). */
  private parsing = false;
  /** Armed only while a head is incomplete after a read: a head that arrives in one read costs no timer. */
  private headTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  /** max_connection_duration reached. */
  private expired = false;

  private readonly onData = (chunk: Buffer): void => {
    if (this.ending) return;
    this.idleSince = performance.now();
    const ex = this.ex;
    if (ex && ex.state.request === 'body') {
      ex.forwardBody(chunk);
      return;
    }
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    if (ex) {
      // Bytes that are not yet wanted (a pipelined request, a body before the upstream is ready):
      // held, and beyond a bound the client is not read any more until they are.
      if (this.pending.length > PENDING_LIMIT) this.pauseClient();
      return;
    }
    this.next();
  };
  private readonly onEnd = (): void => {
    this.clientEnded = true;
    const ex = this.ex;
    if (!ex) this.close();
    else if (ex.state.request !== 'sent') ex.clientGone('downstream_disconnect_mid_request');
  };
  private readonly onClose = (): void => {
    this.closed = true;
    idleSweep.delete(this);
    clearTimeout(this.headTimer);
    clearTimeout(this.durationTimer);
    this.ctx.open.delete(this);
    this.a.listener.http!.downstream_cx_active--;
    this.ex?.clientGone('downstream_disconnect');
  };
  private readonly onDrain = (): void => {
    if (this.ex) this.ex.onClientDrain();
    else this.next();
  };
  get idleLimitMs(): number {
    return this.timeouts.idleTimeoutMs;
  }

  onIdle(): void {
    // Keep-alive idle timeout: only a connection with no request in flight is idle.
    if (!this.ex) this.client.destroy();
  }

  constructor(
    readonly ctx: EngineContext,
    readonly a: Accepted,
    readonly client: Socket,
    readonly timeouts: HttpTimeouts,
  ) {
    const counters = a.listener.http!;
    counters.downstream_cx_total++;
    counters.downstream_cx_active++;
    ctx.open.add(this);
    client.on('data', this.onData);
    client.on('end', this.onEnd);
    client.on('close', this.onClose);
    client.on('drain', this.onDrain);
    if (timeouts.idleTimeoutMs > 0) idleSweep.add(this);
    if (timeouts.maxConnectionDurationMs > 0) {
      this.durationTimer = setTimeout(this.onMaxDuration, timeouts.maxConnectionDurationMs);
      this.durationTimer.unref();
    }
    client.resume();
  }

  /** Answers say `connection: close` and the connection ends after the one in flight: the engine drains, or the connection is old enough. */
  get closing(): boolean {
    return this.ctx.draining || this.expired;
  }

  private readonly onMaxDuration = (): void => {
    this.expired = true;
    this.a.listener.http!.downstream_cx_max_duration_reached++;
    this.drain();
  };

  /**
   * Starts the next request(s) while no exchange is in flight: a loop, not recursion, so pipelined
   * requests answered synchronously (a local 403 or 429) cannot grow the stack. While the client does
   * not take our answers (its write buffer is full) nothing more is parsed and it is not read: 'drain'
   * calls this again.
   */
  private next(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (!this.ex && !this.closed && !this.ending && this.pending) {
        if (this.client.writableNeedDrain) {
          this.pauseClient();
          return;
        }
        if (!this.parseNext()) break;
      }
    } finally {
      this.parsing = false;
    }
    if (!this.ex && !this.closed && !this.ending) this.resumeClient();
  }

  /** Parses the next request head from `pending` and starts its exchange; false when no whole head is there yet. */
  private parseNext(): boolean {
    const buf = this.pending!;
    let end: number;
    let head: RequestHead;
    try {
      end = findHeadEnd(buf, this.scanFrom);
      if (end < 0) {
        this.scanFrom = buf.length;
        const limit = this.timeouts.requestHeadersTimeoutMs;
        if (limit > 0 && this.headTimer === undefined) this.headTimer = setTimeout(this.onHeadTimeout, limit);
        return false;
      }
      if (this.headTimer !== undefined) {
        clearTimeout(this.headTimer);
        this.headTimer = undefined;
      }
      head = parseRequestHead(buf.subarray(0, end));
    } catch (err) {
      this.protocolError(err as HttpParseError);
      return false;
    }
    this.pending = end < buf.length ? buf.subarray(end) : null;
    this.scanFrom = 0;
    this.ex = new Exchange(this, head);
    this.ex.start();
    return true;
  }

  private readonly onHeadTimeout = (): void => {
    this.headTimer = undefined;
    if (this.ex || this.closed || this.ending || !this.pending) return;
    this.protocolError(new HttpParseError(408, `request head not complete within ${this.timeouts.requestHeadersTimeoutMs} ms`));
  };

  /** A request we cannot parse (or whose head did not come in time): answer 400 (or 408/431/501/505), record it, close. */
  private protocolError(err: HttpParseError): void {
    if (!(err instanceof HttpParseError)) throw err;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    const counters = this.a.listener.http!;
    counters.downstream_cx_protocol_error++;
    counters.downstream_rq_total++;
    const flow = newFlow(this.ctx, this.a, 'http', this.ctx.ids.next(), Date.now());
    const t0 = performance.now();
    const requestId = newRequestId();
    const reply = localReplyBytes(err.status, `${err.message}\n`, requestId, true, undefined);
    flow.http = { method: '', authority: '', path: '', status: err.status, requestBytes: 0, responseBytes: 0, requestId, attempts: 0 };
    flow.bytes = { fromClient: this.pending?.length ?? 0, toClient: reply.length };
    flow.verdict = 'error';
    flow.reason = flowReason(err.reason, err.message);
    flow.timings.totalMs = ms(t0, performance.now());
    countStatusClass(counters, err.status);
    counters.downstream_rq_completed++;
    counters.rq_direct_response++;
    this.pending = null;
    this.ending = true;
    this.client.end(reply);
    this.ctx.flows.publish(flow);
  }

  /** Called by the exchange when it is over; `keep`: the connection may carry another request. */
  exchangeDone(keep: boolean): void {
    this.ex = null;
    this.idleSince = performance.now();
    if (this.closed) return;
    if (!keep || this.clientEnded || this.closing) {
      this.close();
      return;
    }
    this.next();
  }

  /** Stops reading the client (backpressure); pause/resume cost syscalls, so only when needed. */
  pauseClient(): void {
    if (this.paused) return;
    this.paused = true;
    this.client.pause();
  }

  resumeClient(): void {
    if (!this.paused) return;
    this.paused = false;
    this.client.resume();
  }

  /** Hands the client socket over (after an upgrade): our listeners go, the socket stays open. */
  detach(): Buffer | undefined {
    this.client.off('data', this.onData);
    this.client.off('end', this.onEnd);
    this.client.off('close', this.onClose);
    this.client.off('drain', this.onDrain);
    idleSweep.delete(this);
    const rest = this.pending ?? undefined;
    this.pending = null;
    return rest;
  }

  private close(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.client.end();
  }

  drain(): void {
    if (!this.ex) this.close();
  }

  abort(): void {
    this.client.destroy();
  }
}
