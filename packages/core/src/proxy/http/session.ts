import type { Socket } from 'node:net';
import { flowReason, type FlowHttp, type FlowRecord, type FlowReason, type FlowReasonCode } from '../../flows/index.ts';
import { newRequestId, type ActingPolicy, type HttpExchangeContext, type HttpPass, type HttpRoute, type LocalReply } from '../chain.ts';
import type { ListenerConfig } from '../config.ts';
import type { ClusterRuntime } from '../context.ts';
import { routeRequest, type CompiledRoute, type HttpRouter } from '../../policies/mesh-http-route/router.ts';
import { ms, newFlow, runPasses, type Accepted, type EngineContext, type OpenConnection } from '../context.ts';
import { countStatusClass, countUpstreamStatusClass } from '../stats.ts';
import type { Outcome } from '../../policies/mesh-circuit-breaker/outlier.ts';
import type { UpstreamEndpoint } from '../config.ts';
import { pickEndpoint, type ConnectFailure } from '../upstream.ts';
import { chainHooks, completeExchange, connectFailureBody, OVERFLOW_REPLY, RESET_BEFORE_HEADERS, startClusterRequest, startExchange, streamTimeoutReply, type StreamTimeout } from './exchange.ts';
import { ChunkedFramer, CloseFramer, LengthFramer, type BodyFramer } from './body.ts';
import { findHeadEnd, HttpParseError, parseRequestHead, parseResponseHead, REASONS, type RequestHead, type ResponseHead } from './head.ts';
import { idleSweep, type IdleTracked } from './idle-sweep.ts';
import { UpstreamConn, type UpstreamOwner } from './pool.ts';

/** Safe or idempotent methods (RFC 9110 §9.2): what a retry policy repeats unless it names others, and the only ones re-sent after a stale pooled connection. */
export const DEFAULT_RETRY_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];
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
 * One downstream HTTP/1.1 connection. Request heads are parsed from the raw bytes; bodies are never
 * buffered: their bytes are forwarded as they arrive while a framer finds where they end. One
 * request is in flight at a time; bytes read ahead of need (pipelined requests) are held up to
 * PENDING_LIMIT, beyond which the client is not read until they are wanted, so nothing piles up.
 */
export class HttpSession implements OpenConnection, IdleTracked {
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
    if (ex && ex.reqState === 'body') {
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
    else if (ex.reqState === 'body' || ex.reqState === 'passes' || ex.reqState === 'connecting') ex.clientGone('downstream_disconnect_mid_request');
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

type ReqState = 'passes' | 'connecting' | 'body' | 'sent';
type RespState = 'head' | 'passes' | 'body' | 'done';

function localReplyBytes(status: number, body: string, requestId: string, close: boolean, headers: Record<string, string> | undefined): Buffer {
  let extra = '';
  if (headers) for (const [k, v] of Object.entries(headers)) extra += `${k}: ${v}\r\n`;
  const len = Buffer.byteLength(body);
  return Buffer.from(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\ncontent-length: ${len}\r\ncontent-type: text/plain\r\nx-request-id: ${requestId}\r\n${extra}${close ? 'connection: close\r\n' : ''}\r\n${body}`,
  );
}

/** One request and its response: runs the HTTP chain, picks and uses an upstream, streams both bodies. */
class Exchange implements HttpExchangeContext, UpstreamOwner {
  readonly flow: FlowRecord;
  readonly http: FlowHttp;
  readonly route: HttpRoute;
  readonly listener: ListenerConfig;
  /** The chain in force when the request arrived; it serves the whole exchange. */
  private readonly passes: readonly HttpPass[];
  response: ResponseHead | undefined;
  reqState: ReqState = 'passes';
  private respState: RespState = 'head';
  private conn: UpstreamConn | null = null;
  private reqFramer: BodyFramer | null = null;
  private respFramer: BodyFramer | null = null;
  private respPending: Buffer | null = null;
  private respScan = 0;
  private respSeen = false;
  private local: LocalReply | null = null;
  private headBuf: Buffer | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** stream_idle_timeout: refreshed by every byte either way. */
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private throttled = false;
  private staleRetried = false;
  /** The endpoint of the current attempt (its outcome feeds outlier detection). */
  private endpoint: UpstreamEndpoint | undefined;
  /** Counted in the cluster's requests in flight (max_requests) / retries in flight (max_retries). */
  private countedRequest = false;
  private countedRetry = false;
  /** Waiting for a connection of the cluster to be freed (max_connections reached). */
  private waiting: (() => void) | undefined;
  /** The client cannot take another request on this connection after this exchange. */
  private closeAfter = false;
  /** The proxy answered (policy, error): the upstream's response head, if one came, is not what the client got. */
  private answeredLocally = false;
  ended = false;
  private readonly t0 = performance.now();
  /** The cluster the request goes to: the listener's, or the one its route picked (MeshHTTPRoute). */
  private cluster: ClusterRuntime;
  /** The route that matched (its response header edits apply to the answer). */
  private routed: CompiledRoute | undefined;
  /** RING_HASH/MAGLEV: the request's key. */
  private hash: number | undefined;

  constructor(
    private readonly session: HttpSession,
    readonly request: RequestHead,
  ) {
    const { ctx, a, timeouts } = session;
    this.listener = a.listener.config;
    this.cluster = a.listener.cluster;
    this.passes = ctx.httpPasses(a.listener);
    this.flow = newFlow(ctx, a, 'http', ctx.ids.next(), Date.now());
    this.http = {
      method: request.method,
      authority: request.authority,
      path: request.path,
      status: undefined,
      requestBytes: 0,
      responseBytes: 0,
      requestId: request.requestId ?? newRequestId(),
      attempts: 0,
    };
    this.flow.http = this.http;
    this.route = { connectTimeoutMs: timeouts.connectTimeoutMs, requestTimeoutMs: 0, streamIdleTimeoutMs: 0, maxStreamDurationMs: a.listener.cluster.config.maxStreamDurationMs ?? 0, retry: undefined, responseBytesPerSecond: 0 };
  }

  random(): number {
    return this.session.ctx.random();
  }

  record(policy: ActingPolicy, action: string): void {
    this.flow.policies.push({ type: policy.type, name: policy.name, action });
  }

  respond(reply: LocalReply): void {
    if (this.respState !== 'head' || this.local) throw new Error('respond() is only allowed once, before the upstream answered');
    this.local = reply;
  }

  start(): void {
    startExchange(
      this,
      this.session.a.listener,
      this.passes,
      () => this.local !== null || this.ended,
      () => this.afterRequestPasses(),
      (err) => this.passFailed(err),
      (err) => this.internalError(err),
    );
  }

  /** A bug in an asynchronous step: it costs this exchange (and its connection), never the process. */
  private internalError(err: unknown): void {
    if (this.ended) return;
    this.flow.verdict = 'error';
    this.flow.reason = `internal_error: ${(err as Error)?.message ?? String(err)}`;
    this.dropConn();
    this.session.client.destroy();
    this.finish();
  }

  private passFailed(err: unknown): void {
    if (this.ended) return;
    this.replyError(500, 'internal error in the filter chain\n', `pass_error: ${(err as Error)?.message ?? String(err)}`);
  }

  private afterRequestPasses(): void {
    if (this.ended) return;
    if (this.local) {
      this.replyLocal(this.local);
      return;
    }
    const router = this.session.a.listener.router;
    if (router && !this.routeRequest(router)) return;
    if (!startClusterRequest(this.cluster)) {
      this.replyLocal(OVERFLOW_REPLY);
      return;
    }
    this.countedRequest = true;
    const r = this.route;
    if (r.requestTimeoutMs > 0) this.timer = setTimeout(() => this.onRequestTimeout(), r.requestTimeoutMs);
    if (r.streamIdleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.onStreamTimeout('stream_idle_timeout'), r.streamIdleTimeoutMs);
    if (r.maxStreamDurationMs > 0) this.durationTimer = setTimeout(() => this.onStreamTimeout('max_stream_duration'), r.maxStreamDurationMs);
    this.headBuf = this.request.toBuffer();
    this.flow.bytes.fromClient += this.headBuf.length;
    this.attempt();
  }

  /** MeshHTTPRoute: picks the route and its cluster, or answers (redirect, no route); false when answered. */
  private routeRequest(router: HttpRouter): boolean {
    const d = routeRequest(router, this.request, this.session.ctx.random, this.session.a.client.address, this.cluster);
    if (d.reply) {
      this.replyLocal(d.reply);
      return false;
    }
    this.routed = d.route;
    this.hash = d.hash;
    if (d.cluster !== this.cluster) {
      this.cluster = d.cluster;
      this.flow.cluster = d.cluster.config.name;
    }
    if (d.policy) this.record(d.policy, `route ${this.cluster.config.name}`);
    return true;
  }

  /** What came of the attempt, for outlier detection. */
  private report(outcome: Outcome): void {
    if (this.endpoint) this.cluster.state.report(this.endpoint, outcome);
  }

  private attempt(): void {
    const { a } = this.session;
    const cluster = this.cluster;
    this.http.attempts++;
    cluster.counters.upstream_rq_total++;
    this.respState = 'head';
    const endpoint = pickEndpoint(cluster, a.destination, a.capture, this.hash);
    this.endpoint = endpoint;
    if (!endpoint) {
      cluster.counters.upstream_cx_none_healthy++;
      this.replyError(503, 'no healthy upstream', 'no_healthy_upstream');
      return;
    }
    this.flow.upstream = { address: endpoint.address, port: endpoint.port };
    this.send(endpoint);
  }

  /** Sends the request to `endpoint`: on an idle pooled connection, a new one, or once one is freed. */
  private send(endpoint: UpstreamEndpoint): void {
    this.waiting = undefined;
    const { ctx, a } = this.session;
    const cluster = this.cluster;
    const source = ctx.upstreams.source(cluster, endpoint, a.client);
    // An mTLS connection is pooled apart from a plaintext one to the same address.
    const key = `${endpoint.address}|${endpoint.port}|${source.localAddress ?? ''}${cluster.config.tls ? `|tls:${cluster.config.name}` : ''}`;
    const pooled = ctx.httpPool.acquire(key);
    if (pooled) {
      this.flow.timings.connectMs ??= 0;
      this.use(pooled, true);
      return;
    }
    const limits = cluster.state.limits;
    if (!limits.canConnect()) {
      cluster.counters.upstream_cx_overflow++;
      const resume = (): void => {
        if (!this.ended) this.send(endpoint);
      };
      if (limits.waitForConnection(resume)) {
        this.waiting = resume;
        // An idle connection to another endpoint holds the slot this request needs: free it.
        ctx.httpPool.closeIdleOf(cluster.state);
      } else {
        cluster.counters.upstream_rq_pending_overflow++;
        this.replyLocal(OVERFLOW_REPLY);
      }
      return;
    }
    limits.connectionOpened();
    this.reqState = 'connecting';
    cluster.counters.upstream_cx_total++;
    const started = performance.now();
    ctx.upstreams.connect(endpoint, source, this.route.connectTimeoutMs, cluster.config.tls, cluster.counters).then(
      ({ socket, connectMs }) => {
        cluster.counters.upstream_cx_active++;
        const conn = new UpstreamConn(socket, key, ctx.httpPool, cluster);
        if (this.ended) {
          ctx.httpPool.release(conn);
          return;
        }
        this.flow.timings.connectMs = ms(0, connectMs);
        this.use(conn, false);
      },
      (failure: ConnectFailure) => {
        const body = connectFailureBody(cluster.counters, failure);
        limits.connectionFreed(true);
        if (this.ended) return;
        this.report('local');
        this.flow.timings.connectMs = ms(started, performance.now());
        if (this.canRetry('connect-failure')) {
          this.retry(failure.reason);
          return;
        }
        this.replyError(503, body, failure.reason);
      },
    ).catch((err: unknown) => this.internalError(err));
  }

  private use(conn: UpstreamConn, reused: boolean): void {
    this.conn = conn;
    conn.owner = this;
    this.respSeen = false;
    this.staleRetried ||= !reused;
    const socket = conn.socket;
    const first = this.reqState !== 'sent';
    socket.cork();
    socket.write(this.headBuf!);
    if (first && this.request.hasBody) {
      this.reqFramer = this.request.chunked ? new ChunkedFramer(400) : new LengthFramer(this.request.contentLength);
      this.reqState = 'body';
      const rest = this.session.pending;
      this.session.pending = null;
      if (rest) this.forwardBody(rest);
    } else {
      this.reqState = 'sent';
    }
    socket.uncork();
    if (this.reqState === 'body' && !this.ended) this.session.resumeClient();
  }

  /** Request body bytes from the client: forward the part that belongs to this request. */
  forwardBody(chunk: Buffer): void {
    this.idleTimer?.refresh();
    const framer = this.reqFramer!;
    let end: number;
    try {
      end = framer.scan(chunk, 0);
    } catch (err) {
      // The head already went upstream; the only safe thing left is to end both connections.
      this.flow.verdict = 'error';
      const reason = flowReason(err instanceof HttpParseError ? err.reason : 'bad_request', (err as Error).message);
      this.flow.reason = reason;
      this.session.a.listener.http!.downstream_cx_protocol_error++;
      if (this.respState === 'head' && !this.respSeen) {
        this.replyError(400, `${(err as Error).message}\n`, reason);
      } else {
        this.dropConn();
        this.session.client.destroy();
        this.finish();
      }
      return;
    }
    this.http.requestBytes += end;
    this.flow.bytes.fromClient += end;
    const socket = this.conn!.socket;
    const ok = end === 0 || socket.write(end === chunk.length ? chunk : chunk.subarray(0, end));
    if (framer.done) {
      this.reqState = 'sent';
      if (end < chunk.length) this.session.pending = chunk.subarray(end);
      if (this.respState === 'done') this.finish();
    } else if (!ok) {
      this.session.pauseClient();
    }
  }

  onUpstreamDrain(): void {
    if (this.reqState === 'body') this.session.resumeClient();
  }

  onClientDrain(): void {
    if (this.respState === 'body' && !this.throttled) this.conn?.socket.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    this.respSeen = true;
    this.idleTimer?.refresh();
    if (this.respState === 'body') {
      this.forwardResponse(chunk, 0);
      return;
    }
    if (this.respState === 'passes') {
      this.respPending = this.respPending ? Buffer.concat([this.respPending, chunk]) : chunk;
      return;
    }
    if (this.respState === 'done') {
      this.conn!.usable = false; // bytes after the response: not a connection to reuse
      return;
    }
    const buf = this.respPending ? Buffer.concat([this.respPending, chunk]) : chunk;
    let end: number;
    let head: ResponseHead;
    try {
      end = findHeadEnd(buf, this.respScan, 502, 502);
      if (end < 0) {
        this.respPending = buf;
        this.respScan = buf.length;
        return;
      }
      head = parseResponseHead(buf.subarray(0, end));
    } catch (err) {
      this.upstreamProtocolError(err as Error);
      return;
    }
    this.respPending = null;
    this.respScan = 0;
    this.flow.timings.firstByteMs ??= ms(this.t0, performance.now());
    const rest = buf.subarray(end);
    const cluster = this.cluster;
    if (head.status === 101) {
      if (this.request.upgrade) this.upgrade(head, rest);
      else this.upstreamProtocolError(new Error('101 Switching Protocols without an upgrade request'));
      return;
    }
    if (head.status < 200) {
      // Interim (100 Continue, 103 Early Hints): pass it on and wait for the final response.
      this.session.client.write(head.raw);
      this.flow.bytes.toClient += head.raw.length;
      if (rest.length) this.onUpstreamData(rest);
      return;
    }
    countUpstreamStatusClass(cluster.counters, head.status);
    this.report(head.status);
    if ((head.status >= 500 && this.canRetry('5xx')) || this.canRetry(head.status)) {
      this.retry(`${head.status}`);
      return;
    }
    this.response = head;
    this.routed?.applyToResponse(head);
    let r: void | Promise<void>;
    try {
      r = chainHooks(this.passes).onResponse ? runPasses(this.passes, (p) => p.onResponse?.(this), () => this.ended) : undefined;
    } catch (err) {
      this.passFailed(err);
      return;
    }
    if (r) {
      this.respState = 'passes';
      this.conn!.socket.pause();
      r.then(
        () => {
          if (this.ended) return;
          const more = this.respPending;
          this.respPending = null;
          this.conn?.socket.resume();
          this.sendResponseHead(more ? Buffer.concat([rest, more]) : rest);
        },
        (err: unknown) => this.passFailed(err),
      ).catch((err: unknown) => this.internalError(err));
    } else {
      this.sendResponseHead(rest);
    }
  }

  private sendResponseHead(rest: Buffer): void {
    const head = this.response!;
    const client = this.session.client;
    this.http.status = head.status;
    const framing = head.framing(this.request.method);
    this.respFramer = framing === 'length' ? new LengthFramer(head.contentLength) : framing === 'chunked' ? new ChunkedFramer(502) : framing === 'close' ? new CloseFramer() : null;
    if (framing === 'close') this.closeAfter = true;
    if (this.session.closing && head.keepAlive && framing !== 'close') {
      // Draining: tell the client this connection ends with this response (as Envoy does).
      head.set('connection', 'close');
      this.closeAfter = true;
    }
    this.respState = 'body';
    const headBuf = head.toBuffer();
    this.flow.bytes.toClient += headBuf.length;
    if (!this.respFramer) {
      client.write(headBuf);
      if (rest.length) this.conn!.usable = false;
      this.responseDone();
      return;
    }
    if (headBuf === head.raw && rest.length > 0 && rest.buffer === headBuf.buffer && headBuf.byteOffset + headBuf.length === rest.byteOffset) {
      // The head passes unchanged and its body follows it in the same read: one write, no copy.
      this.forwardResponse(Buffer.from(rest.buffer, headBuf.byteOffset, headBuf.length + rest.length), headBuf.length, headBuf.length);
      return;
    }
    client.cork();
    client.write(headBuf);
    this.forwardResponse(rest, 0);
    client.uncork();
  }

  /** Forwards the body bytes of `buf` from `start`; `headBytes` already-counted head bytes just before `start` go in the same write. */
  private forwardResponse(buf: Buffer, start: number, headBytes = 0): void {
    const framer = this.respFramer!;
    let end: number;
    try {
      end = framer.scan(buf, start);
    } catch (err) {
      // The head is already with the client; a broken body can only be signalled by closing.
      this.flow.verdict = 'error';
      this.flow.reason = `upstream_protocol_error: ${(err as Error).message}`;
      this.dropConn();
      this.session.client.destroy();
      this.finish();
      return;
    }
    const n = end - start;
    if (n > 0 || headBytes > 0) {
      this.http.responseBytes += n;
      this.flow.bytes.toClient += n;
      const from = start - headBytes;
      const ok = this.session.client.write(from === 0 && end === buf.length ? buf : buf.subarray(from, end));
      if (this.route.responseBytesPerSecond > 0) this.throttle(n);
      else if (!ok) this.conn?.socket.pause();
    }
    if (framer.done) {
      if (end < buf.length && this.conn) this.conn.usable = false;
      this.responseDone();
    }
  }

  /** Response bandwidth limit: after n bytes, stop reading the upstream for n/rate seconds. */
  private throttle(n: number): void {
    const socket = this.conn?.socket;
    if (!socket) return;
    this.throttled = true;
    socket.pause();
    setTimeout(() => {
      this.throttled = false;
      if (!this.session.client.writableNeedDrain) socket.resume();
    }, (n / this.route.responseBytesPerSecond) * 1000);
  }

  private responseDone(): void {
    this.respState = 'done';
    // A response that ends before its request body (an early 413, say): close after it.
    if (this.reqState !== 'sent') this.closeAfter = true;
    this.finish();
  }

  onUpstreamEnd(): void {
    if (this.respState === 'body' && this.respFramer instanceof CloseFramer) {
      this.responseDone();
      return;
    }
    this.upstreamLost();
  }

  onUpstreamClose(): void {
    this.conn = null;
    if (this.respState !== 'done' && !this.ended) this.upstreamLost();
  }

  private upstreamLost(): void {
    if (this.ended) return;
    if (this.respState === 'head' || this.respState === 'passes') {
      // Only an idempotent request may be repeated unasked (RFC 9110 §9.2.2): the upstream may have
      // acted on a POST before it reset.
      const retriable = !this.request.hasBody && !this.respSeen && DEFAULT_RETRY_METHODS.includes(this.request.method);
      this.dropConn();
      if (!retriable || this.staleRetried) this.report('local');
      if (retriable && !this.staleRetried) {
        // A pooled connection the upstream had already closed: one silent retry on a fresh one.
        this.staleRetried = true;
        this.http.attempts--;
        this.attempt();
        return;
      }
      if (this.canRetry('reset')) {
        this.retry('reset');
        return;
      }
      this.replyError(503, `${RESET_BEFORE_HEADERS}connection termination`, 'upstream_reset_before_response');
      return;
    }
    this.flow.verdict = 'error';
    this.flow.reason = 'upstream_reset_after_response_started';
    this.cluster.counters.upstream_cx_destroy_remote++;
    this.dropConn();
    this.session.client.destroy();
    this.finish();
  }

  private upstreamProtocolError(err: Error): void {
    this.report('local');
    this.dropConn();
    this.replyError(502, 'upstream sent an invalid response\n', `upstream_protocol_error: ${err.message}`);
  }

  /** stream_idle_timeout or max_stream_duration: Envoy's 408 before the response started, else a reset. */
  private onStreamTimeout(reason: StreamTimeout): void {
    if (this.ended) return;
    const reply = streamTimeoutReply(this.session.a.listener, reason);
    this.dropConn();
    if (this.respState === 'head' || this.respState === 'passes') {
      this.replyLocal(reply);
      return;
    }
    this.flow.verdict = 'error';
    this.flow.reason = reason;
    this.session.client.destroy();
    this.finish();
  }

  private onRequestTimeout(): void {
    if (this.ended) return;
    this.cluster.counters.upstream_rq_timeout++;
    if (this.respState === 'head' || this.respState === 'passes') this.report('timeout');
    this.dropConn();
    if (this.respState === 'head' || this.respState === 'passes') {
      this.replyError(504, 'upstream request timeout', 'upstream_request_timeout');
      return;
    }
    this.flow.verdict = 'error';
    this.flow.reason = 'upstream_request_timeout';
    this.session.client.destroy();
    this.finish();
  }

  /** Whether the route's retry policy allows another attempt now (and the cluster's max_retries does: then it counts). */
  private canRetry(kind: '5xx' | 'reset' | 'connect-failure' | number): boolean {
    const p = this.route.retry;
    const allowed =
      p !== undefined &&
      this.http.attempts <= p.numRetries &&
      p.on.includes(kind) &&
      !this.request.hasBody &&
      (p.methods ?? DEFAULT_RETRY_METHODS).includes(this.request.method);
    if (!allowed || this.countedRetry) return allowed;
    const cluster = this.cluster;
    if (!cluster.state.limits.startRetry()) {
      cluster.counters.upstream_rq_retry_overflow++;
      return false;
    }
    this.countedRetry = true;
    return true;
  }

  private retry(why: string): void {
    const p = this.route.retry!;
    this.cluster.counters.upstream_rq_retry++;
    this.record(p.policy, `retry ${this.http.attempts}/${p.numRetries} after ${why}`);
    this.dropConn();
    this.respPending = null;
    this.respScan = 0;
    setTimeout(() => {
      if (!this.ended) this.attempt();
    }, p.backoffMs);
  }

  /** Drops the upstream connection: not reusable mid-exchange. */
  private dropConn(): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = null;
    conn.owner = null;
    conn.usable = false;
    conn.socket.destroy();
  }

  private upgrade(head: ResponseHead, rest: Buffer): void {
    const { ctx, a, timeouts } = this.session;
    const conn = this.conn!;
    this.conn = null;
    this.response = head;
    this.http.status = 101;
    this.http.upgraded = true;
    a.listener.http!.downstream_cx_upgrades_total++;
    countUpstreamStatusClass(this.cluster.counters, 101);
    const upstream = conn.detach();
    const clientHead = this.session.detach();
    const headBuf = head.toBuffer();
    const client = this.session.client;
    const fromClientBefore = this.flow.bytes.fromClient;
    ctx.relay.relay(client, upstream, { idleTimeoutMs: timeouts.idleTimeoutMs, clientHead, upstreamHead: rest.length ? Buffer.concat([headBuf, rest]) : headBuf }, (r) => {
      this.flow.bytes.fromClient = fromClientBefore + r.fromClient;
      this.flow.bytes.toClient += r.toClient;
      this.flow.close = r.close;
      if (r.close === 'upstream_reset' || r.close === 'idle_timeout') {
        this.flow.verdict = 'error';
        this.flow.reason = r.close;
      }
      a.listener.http!.downstream_cx_active--;
      ctx.open.delete(this.session);
      this.respState = 'done';
      this.finish();
    });
  }

  /** The client went away (or half-closed mid-request): end the exchange where it stands. */
  clientGone(reason: FlowReasonCode): void {
    if (this.ended) return;
    if (this.respState !== 'done') {
      this.flow.verdict = 'error';
      this.flow.reason = reason;
    }
    this.dropConn();
    if (!this.session.client.destroyed) this.session.client.destroy();
    this.finish();
  }

  private replyError(status: number, body: string, reason: FlowReason): void {
    this.replyLocal({ status, body, verdict: 'error', reason });
  }

  private replyLocal(reply: LocalReply): void {
    if (this.ended) return;
    const bodyUnread = this.request.hasBody && this.reqState !== 'sent';
    const close = bodyUnread || !this.request.keepAlive || this.session.closing;
    const bytes = localReplyBytes(reply.status, reply.body ?? '', this.http.requestId, close, reply.headers);
    this.dropConn();
    // The whole request was read (it had no body, or all of it came), so the client may send the
    // next one on this connection, as the reply says (no `connection: close`).
    if (!bodyUnread) this.reqState = 'sent';
    this.answeredLocally = true;
    this.http.status = reply.status;
    this.flow.bytes.toClient += bytes.length;
    this.flow.verdict = reply.verdict;
    this.flow.reason = reply.reason;
    if (reply.policy) this.record(reply.policy, `respond ${reply.status}`);
    this.session.a.listener.http!.rq_direct_response++;
    if (close) this.closeAfter = true;
    this.respState = 'done';
    this.session.client.write(bytes);
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
    const { ctx, a } = this.session;
    const limits = this.cluster.state.limits;
    if (this.countedRequest) limits.requestDone();
    if (this.countedRetry) limits.retryDone();
    if (this.waiting) limits.cancelWait(this.waiting);
    completeExchange(ctx, a.listener, this, this.passes, this.t0, this.cluster);
    if (this.http.upgraded) return;
    const conn = this.conn;
    this.conn = null;
    const reusable = this.respState === 'done' && this.reqState === 'sent' && !this.closeAfter && this.request.keepAlive && this.response?.keepAlive === true;
    if (conn) {
      if (reusable && conn.usable) ctx.httpPool.release(conn);
      else {
        conn.owner = null;
        conn.socket.destroy();
      }
    }
    const keepClient =
      this.respState === 'done' && this.reqState === 'sent' && !this.closeAfter && this.request.keepAlive && (this.answeredLocally || !this.response || this.response.keepAlive);
    this.session.exchangeDone(keepClient);
  }
}
