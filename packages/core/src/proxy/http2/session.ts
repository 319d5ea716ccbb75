import http2, {
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { FlowGrpc, FlowHttp, FlowRecord, FlowReasonCode } from '../../flows/index.ts';
import { newRequestId, type ActingPolicy, type HttpExchangeContext, type HttpPass, type HttpResponseView, type HttpRoute, type LocalReply } from '../chain.ts';
import type { ListenerConfig, UpstreamEndpoint } from '../config.ts';
import { ms, newFlow, runPasses, type Accepted, type EngineContext, type OpenConnection } from '../context.ts';
import { admitRequest, completeExchange, connectFailureBody, RESET_BEFORE_HEADERS, startExchange, streamTimeoutReply, type RoutedExchange, type StreamTimeout } from '../http/exchange.ts';
import { DEFAULT_RETRY_METHODS, type HttpTimeouts } from '../http/session.ts';
import { countUpstreamStatusClass } from '../stats.ts';
import type { Outcome } from '../../policies/mesh-circuit-breaker/outlier.ts';
import { pickEndpoint, type ConnectFailure } from '../upstream.ts';
import type { ClusterRuntime } from '../context.ts';
import type { CompiledRoute, RoutableRequest } from '../../policies/mesh-http-route/router.ts';
import { decodeGrpcMessage, encodeGrpcMessage, GRPC_DEADLINE_EXCEEDED, grpcCallOf, grpcTimeoutMs, httpToGrpcStatus, isGrpc } from './grpc.ts';
import { connectionWindow, localSettings, MAX_HEADER_PAIRS, MAX_SESSION_MEMORY_MB, PREMATURE_RESET_MIN_LIFETIME_MS, PREMATURE_RESET_STREAM_COUNT } from './options.ts';

/**
 * One downstream HTTP/2 connection (h2c): every stream is an exchange of its own, with the
 * listener's HTTP chain (the same passes as HTTP/1.1), its own flow, and an upstream stream on a
 * shared HTTP/2 connection to the chosen endpoint. Bodies are streamed both ways with flow control
 * (a side that does not read is not read for); trailers are passed on (gRPC's status lives in
 * them), and so are resets. Local replies to gRPC requests are trailers-only responses carrying
 * the grpc-status (Envoy's local reply for gRPC). Abuse bounds: SETTINGS (concurrent streams,
 * header list size, windows; see options.ts), Node's own limits on invalid frames and memory, and
 * Envoy's premature-reset check against rapid reset.
 */

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM, NGHTTP2_FLAG_END_STREAM } = constants;

/** The HTTP/2 connection preface (RFC 9113 §3.4); a connection starting with it speaks HTTP/2. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Request body kept for a retry at most (Envoy's default per-request buffer limit, 1 MiB); beyond it, no retry. */
const RETRY_BUFFER_LIMIT = 1024 * 1024;

/** Hop-by-hop headers (RFC 9113 §8.2.2) never go on an HTTP/2 message. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Headers of one HTTP/2 message as passes see them; changes are what gets forwarded. */
class H2Head {
  readonly protocol = 'HTTP/2';
  constructor(readonly headers: IncomingHttpHeaders) {}

  get(name: string): string | undefined {
    const v = this.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  append(name: string, value: string): void {
    const k = name.toLowerCase();
    const v = this.headers[k];
    if (v === undefined) this.headers[k] = value;
    else this.headers[k] = [...(Array.isArray(v) ? v : [v]), value] as never;
  }

  set(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }

  remove(name: string): void {
    delete this.headers[name.toLowerCase()];
  }

  /** What to send: the regular headers, hop-by-hop ones dropped, `:status` or the request pseudo-headers given by the caller. */
  outgoing(pseudo: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = { ...pseudo };
    for (const [k, v] of Object.entries(this.headers)) {
      if (k.charCodeAt(0) === 58 || HOP_BY_HOP.has(k) || v === undefined) continue;
      // gRPC needs `te: trailers`; any other TE value is not allowed on HTTP/2.
      if (k === 'te' && v !== 'trailers') continue;
      out[k] = v;
    }
    return out;
  }
}

class H2Request extends H2Head implements RoutableRequest {
  readonly method: string;
  path: string;
  authority: string;
  constructor(
    headers: IncomingHttpHeaders,
    readonly hasBody: boolean,
  ) {
    super(headers);
    this.method = headers[':method'] ?? '';
    this.path = headers[':path'] ?? '';
    this.authority = headers[':authority'] ?? headers['host'] ?? '';
  }

  get requestId(): string | undefined {
    return this.get('x-request-id');
  }

  setTarget(target: string): void {
    this.path = target;
  }

  setAuthority(authority: string): void {
    this.authority = authority;
  }
}

class H2Response extends H2Head implements HttpResponseView {
  constructor(
    headers: IncomingHttpHeaders & IncomingHttpStatusHeader,
    readonly status: number,
  ) {
    super(headers);
  }
}

export class Http2Session implements OpenConnection {
  readonly session: ServerHttp2Session;
  readonly exchanges = new Set<H2Exchange>();
  /** Streams closed, and those the client reset before they completed (Envoy's premature-reset counts). */
  private closedStreams = 0;
  private prematureResets = 0;
  private closed = false;

  constructor(
    readonly ctx: EngineContext,
    readonly a: Accepted,
    readonly socket: Socket,
    readonly timeouts: HttpTimeouts,
  ) {
    const l = a.listener.config;
    const counters = a.listener.http!;
    counters.downstream_cx_total++;
    counters.downstream_cx_active++;
    counters.downstream_cx_http2_total++;
    counters.downstream_cx_http2_active++;
    ctx.open.add(this);
    // A socket accepted paused has not started reading; one whose first bytes were sniffed has them
    // back in its buffer (the session takes those first) and must not flow them out to nobody.
    if (socket.readableLength === 0) socket.resume();
    this.session = http2.performServerHandshake(socket, {
      settings: localSettings(l.http2),
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
    });
    const session = this.session;
    session.on('error', () => {});
    session.on('stream', (stream, headers, flags) => this.onStream(stream, headers, flags));
    session.once('close', () => {
      this.closed = true;
      ctx.open.delete(this);
      counters.downstream_cx_active--;
      counters.downstream_cx_http2_active--;
      for (const ex of [...this.exchanges]) ex.clientGone('downstream_disconnect');
    });
    try {
      session.setLocalWindowSize(connectionWindow(l.http2));
    } catch {
      // The client went away during the handshake.
    }
    if (timeouts.idleTimeoutMs > 0) {
      session.setTimeout(timeouts.idleTimeoutMs, () => {
        if (this.exchanges.size === 0) session.close();
      });
    }
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    stream.on('error', () => {});
    if (this.closed || this.ctx.draining) {
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    const ex = new H2Exchange(this, stream, headers, (flags & NGHTTP2_FLAG_END_STREAM) === 0);
    this.exchanges.add(ex);
    ex.start();
  }

  /** A stream is over; `reset`: the client reset it before it completed. */
  streamDone(ex: H2Exchange, reset: boolean): void {
    this.exchanges.delete(ex);
    this.closedStreams++;
    if (reset) {
      this.prematureResets++;
      this.a.listener.http!.downstream_rq_rx_reset++;
    }
    this.checkPrematureResets();
  }

  /**
   * Envoy's ConnectionManagerImpl::maybeDrainDueToPrematureResets: below the stream count, drain once
   * resets alone reach half of it; above it, when half of all closed streams were reset early.
   */
  private checkPrematureResets(): void {
    if (this.prematureResets === 0 || this.closed || this.session.destroyed) return;
    const limit = PREMATURE_RESET_STREAM_COUNT;
    if (this.closedStreams < limit ? this.prematureResets * 2 < limit : this.prematureResets * 2 < this.closedStreams) return;
    this.a.listener.http!.downstream_rq_too_many_premature_resets++;
    this.closed = true;
    this.session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    for (const ex of [...this.exchanges]) ex.abort();
    this.session.destroy();
  }

  drain(): void {
    // GOAWAY: the client opens no new stream here; those in flight finish.
    if (!this.closed) this.session.close();
  }

  abort(): void {
    this.session.destroy();
  }
}

type Phase = 'passes' | 'upstream' | 'response' | 'done';

/** One stream and its flow: the HTTP chain, then an upstream stream (again on a retry), body and trailers both ways. */
class H2Exchange implements HttpExchangeContext, RoutedExchange {
  readonly flow: FlowRecord;
  readonly http: FlowHttp;
  readonly route: HttpRoute;
  readonly listener: ListenerConfig;
  readonly request: H2Request;
  response: H2Response | undefined;
  private readonly passes: readonly HttpPass[];
  private readonly grpc: FlowGrpc | undefined;
  private phase: Phase = 'passes';
  private local: LocalReply | null = null;
  private up: ClientHttp2Stream | null = null;
  /** The request body so far, kept while a retry may need it; null once too big (or no retry). */
  private body: Buffer[] | null = null;
  private bodyBytes = 0;
  private requestEnded: boolean;
  private reading = false;
  private timer: NodeJS.Timeout | undefined;
  /** stream_idle_timeout (refreshed by every byte either way) and max_stream_duration. */
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  /** Counted in the cluster's requests in flight (max_requests). */
  private countedRequest = false;
  /** The endpoint of the current attempt (its outcome feeds outlier detection). */
  private endpoint: UpstreamEndpoint | undefined;
  private trailers: IncomingHttpHeaders | undefined;
  private staleRetried = false;
  ended = false;
  private readonly t0 = performance.now();
  /** MeshHTTPRoute's decision (RoutedExchange): the listener's cluster until a route picks another. */
  cluster: ClusterRuntime;
  routed: CompiledRoute | undefined;
  hash: number | undefined;

  constructor(
    private readonly session: Http2Session,
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    hasBody: boolean,
  ) {
    const { ctx, a } = session;
    this.listener = a.listener.config;
    this.cluster = a.listener.cluster;
    this.passes = ctx.httpPasses(a.listener);
    this.request = new H2Request(headers, hasBody);
    this.requestEnded = !hasBody;
    this.flow = newFlow(ctx, a, 'http', ctx.ids.next(), Date.now());
    this.http = {
      method: this.request.method,
      authority: this.request.authority,
      path: this.request.path,
      status: undefined,
      requestBytes: 0,
      responseBytes: 0,
      requestId: this.request.requestId ?? newRequestId(),
      attempts: 0,
      version: 'HTTP/2',
    };
    if (isGrpc(this.request.get('content-type'))) this.grpc = this.http.grpc = grpcCallOf(this.request.path);
    this.flow.http = this.http;
    this.route = {
      connectTimeoutMs: session.timeouts.connectTimeoutMs,
      requestTimeoutMs: 0,
      streamIdleTimeoutMs: 0,
      maxStreamDurationMs: a.listener.cluster.config.maxStreamDurationMs ?? 0,
      retry: undefined,
      responseBytesPerSecond: 0,
    };
    stream.once('close', () => this.onStreamClose());
  }

  random(): number {
    return this.session.ctx.random();
  }

  record(policy: ActingPolicy, action: string): void {
    this.flow.policies.push({ type: policy.type, name: policy.name, action });
  }

  respond(reply: LocalReply): void {
    if (this.phase === 'response' || this.phase === 'done' || this.local) throw new Error('respond() is only allowed once, before the upstream answered');
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

  private passFailed(err: unknown): void {
    if (this.ended) return;
    this.replyLocal({ status: 500, body: 'internal error in the filter chain', verdict: 'error', reason: `pass_error: ${(err as Error)?.message ?? String(err)}` });
  }

  private internalError(err: unknown): void {
    if (this.ended) return;
    this.flow.verdict = 'error';
    this.flow.reason = `internal_error: ${(err as Error)?.message ?? String(err)}`;
    this.reset(constants.NGHTTP2_INTERNAL_ERROR);
  }

  private afterRequestPasses(): void {
    if (this.ended) return;
    const reply = admitRequest(this, this.local, this.session.a.listener.router, this.session.ctx.random, this.session.a.client.address);
    if (reply) {
      this.replyLocal(reply);
      return;
    }
    this.countedRequest = true;
    const r = this.route;
    if (r.streamIdleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.onStreamTimeout('stream_idle_timeout'), r.streamIdleTimeoutMs);
    if (r.maxStreamDurationMs > 0) this.durationTimer = setTimeout(() => this.onStreamTimeout('max_stream_duration'), r.maxStreamDurationMs);
    // A gRPC deadline bounds the call as a request timeout does (the shorter wins).
    const deadline = this.grpc ? grpcTimeoutMs(this.request.get('grpc-timeout')) : undefined;
    const limit = deadline !== undefined && (this.route.requestTimeoutMs === 0 || deadline < this.route.requestTimeoutMs) ? deadline : this.route.requestTimeoutMs;
    if (limit > 0) this.timer = setTimeout(() => this.onRequestTimeout(limit === deadline && limit !== this.route.requestTimeoutMs), limit);
    if (this.route.retry && !this.requestEnded) this.body = [];
    this.phase = 'upstream';
    this.attempt();
  }

  private attempt(): void {
    const { ctx, a } = this.session;
    const cluster = this.cluster;
    this.http.attempts++;
    cluster.counters.upstream_rq_total++;
    const endpoint = pickEndpoint(cluster, a.destination, a.capture, this.hash);
    this.endpoint = endpoint;
    if (!endpoint) {
      cluster.counters.upstream_cx_none_healthy++;
      this.replyLocal({ status: 503, body: 'no healthy upstream', verdict: 'error', reason: 'no_healthy_upstream' });
      return;
    }
    const source = ctx.upstreams.source(cluster, endpoint, a.client);
    this.flow.upstream = { address: endpoint.address, port: endpoint.port };
    const key = `${endpoint.address}|${endpoint.port}|${source.localAddress ?? ''}`;
    const started = performance.now();
    let connected = false;
    const s = ctx.http2Pool.session(key, cluster, () =>
      ctx.upstreams.connect(endpoint, source, this.route.connectTimeoutMs).then(({ socket, connectMs }) => {
        connected = true;
        this.flow.timings.connectMs = ms(0, connectMs);
        return socket;
      }),
    );
    if (!(s instanceof Promise)) {
      this.flow.timings.connectMs ??= 0;
      this.send(s);
      return;
    }
    s.then(
      (session) => {
        if (!connected) this.flow.timings.connectMs ??= ms(started, performance.now());
        if (!this.ended) this.send(session);
      },
      (failure: ConnectFailure) => {
        const body = connectFailureBody(cluster.counters, failure);
        if (this.ended) return;
        this.report('local');
        this.flow.timings.connectMs = ms(started, performance.now());
        if (this.canRetry('connect-failure')) {
          this.retry(failure.reason);
          return;
        }
        this.replyLocal({ status: 503, body, verdict: 'error', reason: failure.reason });
      },
    ).catch((err: unknown) => this.internalError(err));
  }

  /** Opens the upstream stream and sends the request: headers, the body kept so far, the rest as it comes. */
  private send(session: ClientHttp2Session): void {
    const req = this.request;
    const headers = req.outgoing({ ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': 'http' });
    if (req.requestId === undefined) headers['x-request-id'] = this.http.requestId;
    if (!this.replayable()) {
      // Another attempt, but the body outgrew what is kept for one.
      this.replyLocal({ status: 503, body: `${RESET_BEFORE_HEADERS}request body too large to retry`, verdict: 'error', reason: 'upstream_reset_before_response' });
      return;
    }
    const replay = this.body !== null && this.bodyBytes > 0;
    let up: ClientHttp2Stream;
    try {
      up = session.request(headers, { endStream: this.requestEnded && !replay });
    } catch {
      // The session went away between the pool's check and now (GOAWAY, close): a fresh one.
      if (!this.staleRetried) {
        this.staleRetried = true;
        this.http.attempts--;
        this.attempt();
        return;
      }
      this.replyLocal({ status: 503, body: `${RESET_BEFORE_HEADERS}connection termination`, verdict: 'error', reason: 'upstream_reset_before_response' });
      return;
    }
    this.up = up;
    up.on('error', () => {});
    up.once('response', (h, flags) => {
      if (this.up === up) this.onResponse(h, flags);
    });
    up.on('trailers', (t) => {
      if (this.up === up) this.trailers = t;
    });
    up.once('close', () => {
      if (this.up === up) this.onUpstreamClose(up);
    });
    up.on('drain', () => {
      if (this.up === up) this.stream.resume();
    });
    if (replay) {
      for (const chunk of this.body!) up.write(chunk);
      if (this.requestEnded) up.end();
    }
    // A retry: the client may have been paused for the stream just dropped, whose 'drain' never comes.
    if (this.reading) this.stream.resume();
    this.readRequest();
  }

  /** Starts (once) reading the client's body; each chunk goes to the current upstream stream. */
  private readRequest(): void {
    if (this.reading || this.requestEnded) return;
    this.reading = true;
    const stream = this.stream;
    stream.on('data', (chunk: Buffer) => {
      this.idleTimer?.refresh();
      this.http.requestBytes += chunk.length;
      this.flow.bytes.fromClient += chunk.length;
      if (this.body) {
        this.bodyBytes += chunk.length;
        if (this.bodyBytes > RETRY_BUFFER_LIMIT) this.body = null;
        else this.body.push(chunk);
      }
      const up = this.up;
      if (up && !up.destroyed && !up.write(chunk)) stream.pause();
    });
    stream.once('end', () => {
      this.requestEnded = true;
      const up = this.up;
      if (up && !up.destroyed) up.end();
    });
  }

  private onResponse(headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
    if (this.ended) return;
    const status = Number(headers[':status']);
    const cluster = this.cluster;
    this.flow.timings.firstByteMs ??= ms(this.t0, performance.now());
    countUpstreamStatusClass(cluster.counters, status);
    this.report(status);
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    // gRPC errors are trailers-only answers: the status is in these headers, and nothing was sent yet, so they can be retried.
    const grpcStatus = this.grpc && headers['grpc-status'] !== undefined ? Number(headers['grpc-status']) : undefined;
    if ((grpcStatus !== undefined && this.canRetry('grpc', grpcStatus)) || (status >= 500 && this.canRetry('5xx')) || this.canRetry(status)) {
      this.retry(grpcStatus !== undefined && grpcStatus !== 0 ? `grpc-status ${grpcStatus}` : `${status}`);
      return;
    }
    this.response = new H2Response(headers, status);
    this.routed?.applyToResponse(this.response);
    let r: void | Promise<void>;
    try {
      r = runPasses(this.passes, (p) => p.onResponse?.(this), () => this.ended);
    } catch (err) {
      this.passFailed(err);
      return;
    }
    const up = this.up!;
    if (r) {
      up.pause();
      r.then(
        () => {
          if (this.ended) return;
          this.sendResponse(endStream);
          up.resume();
        },
        (err: unknown) => this.passFailed(err),
      ).catch((err: unknown) => this.internalError(err));
    } else {
      this.sendResponse(endStream);
    }
  }

  private sendResponse(endStream: boolean): void {
    const head = this.response!;
    const stream = this.stream;
    const up = this.up;
    if (!up) return;
    // The client reset the stream a moment ago ('close' is still to come): nothing to answer.
    if (stream.destroyed || stream.closed) {
      this.dropUpstream();
      return;
    }
    this.phase = 'response';
    this.http.status = head.status;
    if (endStream) this.noteGrpcStatus(head.headers);
    stream.respond(head.outgoing({ ':status': head.status }), { endStream, waitForTrailers: !endStream });
    if (endStream) return;
    stream.once('wantTrailers', () => {
      const t = this.trailers;
      if (t) this.noteGrpcStatus(t);
      // No trailers: Node ends the stream with an empty DATA frame instead.
      if (!stream.destroyed) stream.sendTrailers(t ? new H2Head(t).outgoing({}) : {});
    });
    stream.on('drain', () => {
      if (!this.throttled) up.resume();
    });
    up.on('data', (chunk: Buffer) => {
      if (this.up !== up) return;
      this.idleTimer?.refresh();
      this.http.responseBytes += chunk.length;
      this.flow.bytes.toClient += chunk.length;
      const ok = stream.write(chunk);
      if (this.route.responseBytesPerSecond > 0) this.throttle(up, chunk.length);
      else if (!ok) up.pause();
    });
    up.once('end', () => {
      if (this.up === up && !this.ended && !stream.destroyed) stream.end();
    });
  }

  private throttled = false;

  /** Response bandwidth limit (fault injection): after n bytes, the upstream is not read for n/rate seconds. */
  private throttle(up: ClientHttp2Stream, n: number): void {
    this.throttled = true;
    up.pause();
    setTimeout(() => {
      this.throttled = false;
      if (!this.stream.writableNeedDrain) up.resume();
    }, (n / this.route.responseBytesPerSecond) * 1000);
  }

  private noteGrpcStatus(h: IncomingHttpHeaders): void {
    const g = this.grpc;
    const v = h['grpc-status'];
    if (!g || v === undefined) return;
    g.status = Number(v);
    const m = decodeGrpcMessage(h['grpc-message'] as string | undefined);
    if (m) g.message = m;
  }

  private onUpstreamClose(up: ClientHttp2Stream): void {
    this.up = null;
    if (this.ended) return;
    if (this.phase === 'upstream') {
      const refused = up.rstCode === NGHTTP2_REFUSED_STREAM;
      // The server refused the stream (GOAWAY, concurrency): it did nothing with it, one silent retry.
      if (refused && !this.staleRetried && this.replayable()) {
        this.staleRetried = true;
        this.http.attempts--;
        this.attempt();
        return;
      }
      this.report('local');
      if (this.canRetry('reset')) {
        this.retry('reset');
        return;
      }
      this.replyLocal({ status: 503, body: `${RESET_BEFORE_HEADERS}remote reset`, verdict: 'error', reason: 'upstream_reset_before_response' });
      return;
    }
    if (this.phase === 'response' && up.rstCode !== constants.NGHTTP2_NO_ERROR) {
      // The upstream reset mid-response: the client's stream is reset with the same code.
      this.flow.verdict = 'error';
      this.flow.reason = 'upstream_reset_after_response_started';
      this.cluster.counters.upstream_cx_destroy_remote++;
      this.reset(up.rstCode);
    }
  }

  private canRetry(kind: '5xx' | 'reset' | 'connect-failure' | 'grpc' | number, grpcStatus?: number): boolean {
    const p = this.route.retry;
    if (p === undefined || this.http.attempts > p.numRetries) return false;
    if (!this.replayable()) return false;
    if (kind === 'grpc') return p.grpcStatuses?.includes(grpcStatus!) === true;
    return p.on.includes(kind) && (p.methods ?? DEFAULT_RETRY_METHODS).includes(this.request.method);
  }

  /** A new attempt can send the whole request: nothing of the body went out yet, or all of it was kept. */
  private replayable(): boolean {
    return this.bodyBytes === 0 || this.body !== null;
  }

  private retry(why: string): void {
    const p = this.route.retry!;
    this.cluster.counters.upstream_rq_retry++;
    this.record(p.policy, `retry ${this.http.attempts}/${p.numRetries} after ${why}`);
    this.dropUpstream();
    this.trailers = undefined;
    // Nothing more of the body is read until the next attempt takes it.
    if (this.reading) this.stream.pause();
    setTimeout(() => {
      if (!this.ended) this.attempt();
    }, p.backoffMs);
  }

  private dropUpstream(): void {
    const up = this.up;
    this.up = null;
    if (up && !up.destroyed) up.close(NGHTTP2_CANCEL);
  }

  /** What came of the attempt, for outlier detection. */
  private report(outcome: Outcome): void {
    if (this.endpoint) this.cluster.state.report(this.endpoint, outcome);
  }

  /** stream_idle_timeout or max_stream_duration: 408 before the response started (as Envoy), else a reset. */
  private onStreamTimeout(reason: StreamTimeout): void {
    if (this.ended) return;
    const reply = streamTimeoutReply(this.session.a.listener, reason);
    if (this.phase !== 'response') {
      this.replyLocal(reply);
      return;
    }
    this.flow.verdict = 'error';
    this.flow.reason = reason;
    this.reset(NGHTTP2_CANCEL);
  }

  private onRequestTimeout(grpcDeadline: boolean): void {
    if (this.ended) return;
    if (this.phase !== 'response') this.report('timeout');
    const reason = grpcDeadline ? 'grpc_deadline_exceeded' : 'upstream_request_timeout';
    if (!grpcDeadline) this.cluster.counters.upstream_rq_timeout++;
    this.dropUpstream();
    if (this.phase !== 'response') {
      this.replyLocal({ status: 504, body: 'upstream request timeout', verdict: 'error', reason });
      return;
    }
    this.flow.verdict = 'error';
    this.flow.reason = reason;
    if (this.grpc && !this.stream.destroyed) {
      // The response already started: a gRPC client still learns why, from the trailers.
      this.trailers = { 'grpc-status': String(GRPC_DEADLINE_EXCEEDED), 'grpc-message': 'upstream request timeout' };
      this.stream.end();
      return;
    }
    this.reset(NGHTTP2_CANCEL);
  }

  /** Answers from the proxy; a gRPC request gets a trailers-only response with the status its HTTP status maps to (504: DEADLINE_EXCEEDED). */
  private replyLocal(reply: LocalReply): void {
    if (this.ended) return;
    this.dropUpstream();
    const stream = this.stream;
    this.flow.verdict = reply.verdict;
    this.flow.reason = reply.reason;
    if (reply.policy) this.record(reply.policy, `respond ${reply.status}`);
    this.session.a.listener.http!.rq_direct_response++;
    this.phase = 'done';
    if (stream.destroyed || stream.closed || stream.headersSent) {
      this.reset(NGHTTP2_CANCEL);
      return;
    }
    const body = reply.body ?? '';
    const extra = reply.headers ?? {};
    if (this.grpc) {
      const code = reply.grpcStatus ?? (reply.status === 504 ? GRPC_DEADLINE_EXCEEDED : httpToGrpcStatus(reply.status));
      this.http.status = 200;
      this.grpc.status = code;
      this.grpc.message = body.trim();
      stream.respond(
        { ...extra, ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(body.trim()), 'x-request-id': this.http.requestId },
        { endStream: true },
      );
    } else {
      this.http.status = reply.status;
      const bytes = Buffer.from(body);
      this.flow.bytes.toClient += bytes.length;
      stream.respond({ ...extra, ':status': reply.status, 'content-type': 'text/plain', 'content-length': bytes.length, 'x-request-id': this.http.requestId });
      stream.end(bytes);
    }
    // What the client still sends of its body is not wanted; the stream closes when our answer is out.
    if (!this.requestEnded) stream.resume();
  }

  private reset(code: number): void {
    this.dropUpstream();
    if (!this.stream.destroyed) this.stream.close(code);
  }

  /** The dp closes the stream now (rapid-reset drain). */
  abort(): void {
    if (this.ended) return;
    this.flow.verdict = 'error';
    this.flow.reason ??= 'downstream_too_many_premature_resets';
    this.reset(NGHTTP2_CANCEL);
  }

  /** The connection is gone under the stream. */
  clientGone(reason: FlowReasonCode): void {
    if (this.ended) return;
    if (this.phase !== 'done') {
      this.flow.verdict = 'error';
      this.flow.reason ??= reason;
    }
    this.dropUpstream();
    this.finish(false);
  }

  private onStreamClose(): void {
    if (this.ended) return;
    // Reset by the client (a cancellation, or a rapid-reset loop) before the exchange was over.
    const reset = this.phase !== 'done' && this.stream.rstCode !== constants.NGHTTP2_NO_ERROR && this.flow.reason === undefined;
    if (reset) {
      this.flow.verdict = 'error';
      this.flow.reason = 'downstream_remote_reset';
    } else if (this.phase === 'upstream' || this.phase === 'passes') {
      this.flow.verdict = 'error';
      this.flow.reason ??= 'downstream_disconnect';
    }
    this.dropUpstream();
    // Envoy counts a reset as premature when the stream lived less than premature_reset_min_stream_lifetime (1 s).
    this.finish(reset && performance.now() - this.t0 < PREMATURE_RESET_MIN_LIFETIME_MS);
  }

  private finish(reset: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.phase = 'done';
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
    if (this.countedRequest) this.cluster.state.limits.requestDone();
    this.body = null;
    completeExchange(this.session.ctx, this.session.a.listener, this, this.passes, this.t0, this.cluster);
    this.session.streamDone(this, reset);
  }
}
