import type { Socket } from 'node:net';
import { flowReason, type FlowHttp, type FlowReason, type FlowReasonCode, type FlowRecord } from '../../flows/index.ts';
import type { CompiledRoute } from '../../policies/mesh-http-route/router.ts';
import type { Outcome } from '../../policies/mesh-circuit-breaker/outlier.ts';
import type { ActingPolicy, HttpExchangeContext, HttpPass, HttpRoute, LocalReply } from '../chain.ts';
import type { ListenerConfig, UpstreamEndpoint } from '../config.ts';
import { ms, runPasses, type Accepted, type ClusterRuntime, type EngineContext, type OpenConnection } from '../context.ts';
import { countUpstreamStatusClass } from '../stats.ts';
import { pickEndpoint, type ConnectFailure } from '../upstream.ts';
import { ExchangeState } from './exchange-state.ts';
import { admitRequest, chainHooks, completeExchange, OVERFLOW_REPLY, RESET_BEFORE_HEADERS, startExchange, streamTimeoutReply, type RoutedExchange, type StreamTimeout } from './exchange.ts';
import { HttpParseError, type RequestHead, type ResponseHead } from './head.ts';
import { localReplyBytes } from './local-reply.ts';
import type { UpstreamConn, UpstreamOwner } from './pool.ts';
import { RequestWriter, type RequestSource, type RequestTarget } from './request-writer.ts';
import { requestFlow } from './request-flow.ts';
import { ResponseHeadReader } from './response-head-reader.ts';
import { ResponseWriter, type ResponseTarget } from './response-writer.ts';
import { retryAllowed, staleRetriable, type RetryOn } from './retry.ts';
import { seekConnection, type ConnectionSeeker } from './upstream-attempt.ts';

/** What an exchange needs of its downstream connection (the HttpSession). */
export interface Downstream extends RequestSource, OpenConnection {
  readonly ctx: EngineContext;
  readonly a: Accepted;
  readonly client: Socket;
  readonly timeouts: { readonly connectTimeoutMs: number; readonly idleTimeoutMs: number };
  /** Answers say `connection: close` and the connection ends after this exchange. */
  readonly closing: boolean;
  /** Hands the client socket over (after an upgrade); the bytes read ahead. */
  detach(): Buffer | undefined;
  /** The exchange is over; `keep`: the connection may carry another request. */
  exchangeDone(keep: boolean): void;
}

/**
 * One HTTP/1.1 request and its response: runs the request passes, routes it, attempts the upstream
 * (retries, a silent retry after a stale pooled connection, outlier reports), runs the response
 * passes, answers locally when it must, and ends (the flow, the connection's reuse). The bytes go
 * through its parts: RequestWriter (request to the upstream), ResponseHeadReader and
 * ResponseWriter (response to the client), seekConnection (which connection); where the exchange
 * stands is its ExchangeState.
 */
export class Exchange implements HttpExchangeContext, UpstreamOwner, RequestTarget, ResponseTarget, ConnectionSeeker, RoutedExchange {
  readonly flow: FlowRecord;
  readonly http: FlowHttp;
  readonly route: HttpRoute;
  readonly listener: ListenerConfig;
  readonly state = new ExchangeState();
  response: ResponseHead | undefined;
  upstream: UpstreamConn | null = null;
  waiting: (() => void) | undefined;
  /** MeshHTTPRoute's decision (RoutedExchange): the listener's cluster until a route picks another. */
  cluster: ClusterRuntime;
  routed: CompiledRoute | undefined;
  hash: number | undefined;
  /** The chain in force when the request arrived; it serves the whole exchange. */
  private readonly passes: readonly HttpPass[];
  private readonly requestWriter = new RequestWriter(this);
  private readonly responseReader = new ResponseHeadReader();
  private readonly responseWriter = new ResponseWriter(this);
  private local: LocalReply | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** stream_idle_timeout: refreshed by every byte either way. */
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  /** The endpoint of the current attempt (its outcome feeds outlier detection). */
  private endpoint: UpstreamEndpoint | undefined;
  private readonly t0 = performance.now();

  constructor(
    readonly downstream: Downstream,
    readonly request: RequestHead,
  ) {
    const { ctx, a, timeouts } = downstream;
    this.listener = a.listener.config;
    this.cluster = a.listener.cluster;
    this.passes = ctx.httpPasses(a.listener);
    ({ flow: this.flow, http: this.http } = requestFlow(ctx, a, request));
    this.route = { connectTimeoutMs: timeouts.connectTimeoutMs, requestTimeoutMs: 0, streamIdleTimeoutMs: 0, maxStreamDurationMs: a.listener.cluster.config.maxStreamDurationMs ?? 0, retry: undefined, responseBytesPerSecond: 0 };
  }

  get ctx(): EngineContext {
    return this.downstream.ctx;
  }

  get accepted(): Accepted {
    return this.downstream.a;
  }

  get client(): Socket {
    return this.downstream.client;
  }

  get clientClosing(): boolean {
    return this.downstream.closing;
  }

  get ended(): boolean {
    return this.state.ended;
  }

  // --- what the passes see (HttpExchangeContext)

  random(): number {
    return this.ctx.random();
  }

  record(policy: ActingPolicy, action: string): void {
    this.flow.policies.push({ type: policy.type, name: policy.name, action });
  }

  respond(reply: LocalReply): void {
    if (this.state.response !== 'head' || this.local) throw new Error('respond() is only allowed once, before the upstream answered');
    this.local = reply;
  }

  // --- the request: passes, route, attempts

  start(): void {
    startExchange(
      this,
      this.accepted.listener,
      this.passes,
      () => this.local !== null || this.state.ended,
      () => this.afterRequestPasses(),
      (err) => this.passFailed(err),
      (err) => this.internalError(err),
    );
  }

  /** A bug in an asynchronous step: it costs this exchange (and its connection), never the process. */
  internalError(err: unknown): void {
    if (this.state.ended) return;
    this.resetBoth(`internal_error: ${(err as Error)?.message ?? String(err)}`);
  }

  private passFailed(err: unknown): void {
    if (this.state.ended) return;
    this.replyError(500, 'internal error in the filter chain\n', `pass_error: ${(err as Error)?.message ?? String(err)}`);
  }

  private afterRequestPasses(): void {
    if (this.state.ended) return;
    const reply = admitRequest(this, this.local, this.accepted.listener.router, this.ctx.random, this.accepted.client.address);
    if (reply) {
      this.replyLocal(reply);
      return;
    }
    this.state.countedRequest = true;
    const r = this.route;
    if (r.requestTimeoutMs > 0) this.timer = setTimeout(() => this.onRequestTimeout(), r.requestTimeoutMs);
    if (r.streamIdleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.onStreamTimeout('stream_idle_timeout'), r.streamIdleTimeoutMs);
    if (r.maxStreamDurationMs > 0) this.durationTimer = setTimeout(() => this.onStreamTimeout('max_stream_duration'), r.maxStreamDurationMs);
    this.flow.bytes.fromClient += this.requestWriter.prepare();
    this.attempt();
  }

  /** What came of the attempt, for outlier detection. */
  private report(outcome: Outcome): void {
    if (this.endpoint) this.cluster.state.report(this.endpoint, outcome);
  }

  private attempt(): void {
    const { a } = this.downstream;
    const cluster = this.cluster;
    this.http.attempts++;
    cluster.counters.upstream_rq_total++;
    this.state.response = 'head';
    const endpoint = pickEndpoint(cluster, a.destination, a.capture, this.hash);
    this.endpoint = endpoint;
    if (!endpoint) {
      cluster.counters.upstream_cx_none_healthy++;
      this.replyError(503, 'no healthy upstream', 'no_healthy_upstream');
      return;
    }
    this.flow.upstream = { address: endpoint.address, port: endpoint.port };
    seekConnection(this, endpoint);
  }

  use(conn: UpstreamConn, reused: boolean): void {
    this.upstream = conn;
    conn.owner = this;
    this.state.responseSeen = false;
    this.state.staleRetried ||= !reused;
    this.requestWriter.send(conn);
  }

  connectFailed(failure: ConnectFailure, body: string, connectMs: number): void {
    this.report('local');
    this.flow.timings.connectMs = connectMs;
    if (this.canRetry('connect-failure')) {
      this.retry(failure.reason);
      return;
    }
    this.replyError(503, body, failure.reason);
  }

  overflow(): void {
    this.replyLocal(OVERFLOW_REPLY);
  }

  private canRetry(kind: RetryOn): boolean {
    return retryAllowed(this.route, this.http.attempts, this.request, kind, this.cluster, this.state);
  }

  private retry(why: string): void {
    const p = this.route.retry!;
    this.cluster.counters.upstream_rq_retry++;
    this.record(p.policy, `retry ${this.http.attempts}/${p.numRetries} after ${why}`);
    this.dropConn();
    this.responseReader.reset();
    setTimeout(() => {
      if (!this.state.ended) this.attempt();
    }, p.backoffMs);
  }

  /** Drops the upstream connection: not reusable mid-exchange. */
  private dropConn(): void {
    const conn = this.upstream;
    if (!conn) return;
    this.upstream = null;
    conn.owner = null;
    conn.usable = false;
    conn.socket.destroy();
  }

  // --- request body (RequestTarget)

  /** Request body bytes from the client (the session hands them over while the request is in its body). */
  forwardBody(chunk: Buffer): void {
    this.requestWriter.forwardBody(chunk);
  }

  streamActivity(): void {
    this.idleTimer?.refresh();
  }

  requestBodyBroken(err: unknown): void {
    // The head already went upstream; the only safe thing left is to end both connections.
    const reason = flowReason(err instanceof HttpParseError ? err.reason : 'bad_request', (err as Error).message);
    this.flow.verdict = 'error';
    this.flow.reason = reason;
    this.accepted.listener.http!.downstream_cx_protocol_error++;
    if (this.state.response === 'head' && !this.state.responseSeen) this.replyError(400, `${(err as Error).message}\n`, reason);
    else this.resetBoth(reason);
  }

  requestSent(): void {
    if (this.state.response === 'done') this.finish();
  }

  // --- the upstream connection's events (UpstreamOwner)

  onUpstreamDrain(): void {
    this.requestWriter.upstreamDrained();
  }

  onClientDrain(): void {
    this.responseWriter.clientDrained();
  }

  onUpstreamData(chunk: Buffer): void {
    const state = this.state;
    state.responseSeen = true;
    this.idleTimer?.refresh();
    if (state.response === 'body') {
      this.responseWriter.forward(chunk, 0);
      return;
    }
    if (state.response === 'passes') {
      this.responseReader.hold(chunk);
      return;
    }
    if (state.response === 'done') {
      this.upstream!.usable = false; // bytes after the response: not a connection to reuse
      return;
    }
    let got: { head: ResponseHead; rest: Buffer } | undefined;
    try {
      got = this.responseReader.read(chunk);
    } catch (err) {
      this.upstreamProtocolError(err as Error);
      return;
    }
    if (got) this.onResponseHead(got.head, got.rest);
  }

  private onResponseHead(head: ResponseHead, rest: Buffer): void {
    this.flow.timings.firstByteMs ??= ms(this.t0, performance.now());
    if (head.status === 101) {
      if (this.request.upgrade) this.upgrade(head, rest);
      else this.upstreamProtocolError(new Error('101 Switching Protocols without an upgrade request'));
      return;
    }
    if (head.status < 200) {
      // Interim (100 Continue, 103 Early Hints): pass it on and wait for the final response.
      this.client.write(head.raw);
      this.flow.bytes.toClient += head.raw.length;
      if (rest.length) this.onUpstreamData(rest);
      return;
    }
    countUpstreamStatusClass(this.cluster.counters, head.status);
    this.report(head.status);
    if ((head.status >= 500 && this.canRetry('5xx')) || this.canRetry(head.status)) {
      this.retry(`${head.status}`);
      return;
    }
    this.response = head;
    this.routed?.applyToResponse(head);
    let r: void | Promise<void>;
    try {
      r = chainHooks(this.passes).onResponse ? runPasses(this.passes, (p) => p.onResponse?.(this), () => this.state.ended) : undefined;
    } catch (err) {
      this.passFailed(err);
      return;
    }
    if (!r) {
      this.responseWriter.sendHead(head, rest);
      return;
    }
    this.state.response = 'passes';
    this.upstream!.socket.pause();
    r.then(
      () => {
        if (this.state.ended) return;
        const more = this.responseReader.take();
        this.upstream?.socket.resume();
        this.responseWriter.sendHead(head, more ? Buffer.concat([rest, more]) : rest);
      },
      (err: unknown) => this.passFailed(err),
    ).catch((err: unknown) => this.internalError(err));
  }

  responseDone(): void {
    this.state.response = 'done';
    // A response that ends before its request body (an early 413, say): close after it.
    if (this.state.request !== 'sent') this.state.closeAfter = true;
    this.finish();
  }

  onUpstreamEnd(): void {
    if (this.state.response === 'body' && this.responseWriter.closeDelimited) {
      this.responseDone();
      return;
    }
    this.upstreamLost();
  }

  onUpstreamClose(): void {
    this.upstream = null;
    if (this.state.response !== 'done' && !this.state.ended) this.upstreamLost();
  }

  private upstreamLost(): void {
    const state = this.state;
    if (state.ended) return;
    if (state.answerable) {
      const retriable = staleRetriable(this.request, state);
      this.dropConn();
      if (!retriable || state.staleRetried) this.report('local');
      if (retriable && !state.staleRetried) {
        // A pooled connection the upstream had already closed: one silent retry on a fresh one.
        state.staleRetried = true;
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
    this.cluster.counters.upstream_cx_destroy_remote++;
    this.resetBoth('upstream_reset_after_response_started');
  }

  private upstreamProtocolError(err: Error): void {
    this.report('local');
    this.dropConn();
    this.replyError(502, 'upstream sent an invalid response\n', `upstream_protocol_error: ${err.message}`);
  }

  /** stream_idle_timeout or max_stream_duration: Envoy's 408 before the response started, else a reset. */
  private onStreamTimeout(reason: StreamTimeout): void {
    if (this.state.ended) return;
    const reply = streamTimeoutReply(this.accepted.listener, reason);
    if (this.state.answerable) {
      this.dropConn();
      this.replyLocal(reply);
      return;
    }
    this.resetBoth(reason);
  }

  private onRequestTimeout(): void {
    if (this.state.ended) return;
    this.cluster.counters.upstream_rq_timeout++;
    if (this.state.answerable) {
      this.report('timeout');
      this.dropConn();
      this.replyError(504, 'upstream request timeout', 'upstream_request_timeout');
      return;
    }
    this.resetBoth('upstream_request_timeout');
  }

  private upgrade(head: ResponseHead, rest: Buffer): void {
    const { ctx, a, timeouts } = this.downstream;
    const conn = this.upstream!;
    this.upstream = null;
    this.response = head;
    this.http.status = 101;
    this.http.upgraded = true;
    a.listener.http!.downstream_cx_upgrades_total++;
    countUpstreamStatusClass(this.cluster.counters, 101);
    const upstream = conn.detach();
    const clientHead = this.downstream.detach();
    const headBuf = head.toBuffer();
    const client = this.client;
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
      ctx.open.delete(this.downstream);
      this.state.response = 'done';
      this.finish();
    });
  }

  // --- ends

  /** The client went away (or half-closed mid-request): end the exchange where it stands. */
  clientGone(reason: FlowReasonCode): void {
    if (this.state.ended) return;
    if (this.state.response !== 'done') {
      this.flow.verdict = 'error';
      this.flow.reason = reason;
    }
    this.dropConn();
    if (!this.client.destroyed) this.client.destroy();
    this.finish();
  }

  resetBoth(reason: FlowReason): void {
    this.flow.verdict = 'error';
    this.flow.reason = reason;
    this.dropConn();
    this.client.destroy();
    this.finish();
  }

  private replyError(status: number, body: string, reason: FlowReason): void {
    this.replyLocal({ status, body, verdict: 'error', reason });
  }

  private replyLocal(reply: LocalReply): void {
    const state = this.state;
    if (state.ended) return;
    const bodyUnread = this.request.hasBody && state.request !== 'sent';
    const close = bodyUnread || !this.request.keepAlive || this.downstream.closing;
    const bytes = localReplyBytes(reply.status, reply.body ?? '', this.http.requestId, close, reply.headers);
    this.dropConn();
    // The whole request was read (it had no body, or all of it came), so the client may send the
    // next one on this connection, as the reply says (no `connection: close`).
    if (!bodyUnread) state.request = 'sent';
    state.answeredLocally = true;
    this.http.status = reply.status;
    this.flow.bytes.toClient += bytes.length;
    this.flow.verdict = reply.verdict;
    this.flow.reason = reply.reason;
    if (reply.policy) this.record(reply.policy, `respond ${reply.status}`);
    this.accepted.listener.http!.rq_direct_response++;
    if (close) state.closeAfter = true;
    state.response = 'done';
    this.client.write(bytes);
    this.finish();
  }

  private finish(): void {
    const state = this.state;
    if (state.ended) return;
    state.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
    const { ctx, a } = this.downstream;
    const limits = this.cluster.state.limits;
    if (state.countedRequest) limits.requestDone();
    if (state.countedRetry) limits.retryDone();
    if (this.waiting) limits.cancelWait(this.waiting);
    completeExchange(ctx, a.listener, this, this.passes, this.t0, this.cluster);
    if (this.http.upgraded) return;
    const conn = this.upstream;
    this.upstream = null;
    const reusable = state.complete && this.request.keepAlive && this.response?.keepAlive === true;
    if (conn) {
      if (reusable && conn.usable) ctx.httpPool.release(conn);
      else {
        conn.owner = null;
        conn.socket.destroy();
      }
    }
    const keepClient = state.complete && this.request.keepAlive && (state.answeredLocally || !this.response || this.response.keepAlive);
    this.downstream.exchangeDone(keepClient);
  }
}
