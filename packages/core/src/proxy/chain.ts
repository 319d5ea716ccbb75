import { randomUUID } from 'node:crypto';
import { MeshcapError } from '../errors.ts';
import type { FlowAddress, FlowHttp, FlowRecord, FlowVerdict, FlowReason } from '../flows/index.ts';
import type { ListenerConfig } from './config.ts';
import type { StatValue } from './stats.ts';

/**
 * The filter chains. Each listener runs a fixed, ordered list of small named passes: a TCP chain
 * when a connection arrives, and for HTTP listeners an HTTP chain per request (request head, then
 * response head, then completion). The order is fixed here, not by whoever supplies the passes,
 * so "permission before rate limit before fault" holds whatever the policies are. A pass acts
 * through its context and records what it did on the flow ("policy X did Y").
 */

/** Slots of the TCP chain, in the order they run at connection time. */
export const TCP_PASS_ORDER = ['traffic-permission', 'rate-limit', 'timeout', 'access-log'] as const;
/** Slots of the HTTP chain, in the order they run for each request. */
export const HTTP_PASS_ORDER = ['request-id', 'traffic-permission', 'rate-limit', 'fault-injection', 'timeout', 'retry', 'access-log'] as const;

export type TcpPassSlot = (typeof TCP_PASS_ORDER)[number];
export type HttpPassSlot = (typeof HTTP_PASS_ORDER)[number];

/** The policy a pass enforces, as it appears on flows: `MeshFaultInjection/fi-backend`. */
export interface ActingPolicy {
  type: string;
  name: string;
}

export interface TcpConnectionContext {
  /** The flow being built; passes read it and must only change it through the methods below. */
  readonly flow: Readonly<FlowRecord>;
  readonly listener: ListenerConfig;
  readonly client: FlowAddress;
  readonly destination: FlowAddress;
  /** Upstream connect timeout for this connection (a timeout pass may change it). */
  connectTimeoutMs: number;
  /** Idle timeout over both directions (0 disables). */
  idleTimeoutMs: number;
  /** HTTP listeners: the time a request head may take to arrive (Envoy's request_headers_timeout; 0 disables). */
  requestHeadersTimeoutMs: number;
  /** HTTP listeners: the connection is drained after this long (Envoy's max_connection_duration; 0 never). */
  maxConnectionDurationMs: number;
  /** Closes the connection before any upstream: verdict `denied`. */
  deny(policy: ActingPolicy, reason: FlowReason): void;
  /** Records "policy X did Y" on the flow. */
  record(policy: ActingPolicy, action: string): void;
  /** [0, 1): the engine's injectable randomness, so percentages are testable. */
  random(): number;
}

export interface TcpPass {
  readonly slot: TcpPassSlot;
  /** Shown in the chain listing, e.g. `MeshTrafficPermission/allow-web`. */
  readonly name: string;
  /** Runs when a connection arrives, before the upstream connect; may return a promise (e.g. a delay). */
  onConnect(ctx: TcpConnectionContext): void | Promise<void>;
  /** When the connection is over (relayed, denied or failed), before its flow is published (the access log's hook); must not throw. */
  onClose?(ctx: TcpConnectionContext): void;
}

/** What the router does for a request; passes change it in `onRequest`. */
export interface HttpRoute {
  connectTimeoutMs: number;
  /** Whole request, from head received to response complete; 0 disables (the default). */
  requestTimeoutMs: number;
  /** No byte either way for this long ends the request: 408 before the response, else a reset (Envoy's stream_idle_timeout); 0 disables. */
  streamIdleTimeoutMs: number;
  /** The request may last this long in all: 408 before the response, else a reset (Envoy's max_stream_duration); 0 disables. */
  maxStreamDurationMs: number;
  retry?: HttpRetryPolicy;
  /** Throttles the response body to this rate (fault injection's responseBandwidth); 0 disables. */
  responseBytesPerSecond: number;
}

/** What passes see of a message head: HTTP/1.1's (`RequestHead`, `ResponseHead`) or an HTTP/2 stream's headers. Changes are forwarded. */
export interface HttpHeadView {
  /** `HTTP/1.0`, `HTTP/1.1` or `HTTP/2` (access logs' %PROTOCOL%). */
  readonly protocol: string;
  get(name: string): string | undefined;
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  remove(name: string): void;
}

export interface HttpRequestView extends HttpHeadView {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly requestId: string | undefined;
  readonly hasBody: boolean;
}

export interface HttpResponseView extends HttpHeadView {
  readonly status: number;
}

export interface HttpRetryPolicy {
  /** The policy that configured it, recorded on the flow with each retry. */
  policy: ActingPolicy;
  /** Extra attempts after the first. */
  numRetries: number;
  /** Retry when the upstream answered 5xx, reset before answering, could not be connected, or answered one of the listed statuses. */
  on: ReadonlyArray<'5xx' | 'reset' | 'connect-failure' | number>;
  /** Delay before each retry. */
  backoffMs: number;
  /** Methods that may be retried; default: the safe/idempotent ones (GET, HEAD, OPTIONS, PUT, DELETE, TRACE). */
  methods?: readonly string[];
  /** gRPC calls: retry when the answer's headers carry one of these grpc-status codes (a trailers-only error, as Envoy's grpc retry_on reads it). */
  grpcStatuses?: readonly number[];
}

export interface LocalReply {
  status: number;
  /** For a gRPC request, the grpc-status to answer with (otherwise mapped from `status`, as Envoy does). */
  grpcStatus?: number;
  body?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** `forwarded` only for a route's redirect (the mesh sent the client on, nothing refused it). */
  verdict: FlowVerdict;
  reason: FlowReason;
  /** The policy that answered, recorded on the flow with the status. */
  policy?: ActingPolicy;
}

export interface HttpExchangeContext {
  readonly flow: Readonly<FlowRecord>;
  readonly http: Readonly<FlowHttp>;
  readonly listener: ListenerConfig;
  /** The request head; passes may add or change headers (they are forwarded as changed). */
  readonly request: HttpRequestView;
  /** The response head (set for `onResponse` and `onComplete` when the upstream answered). */
  readonly response: HttpResponseView | undefined;
  readonly route: HttpRoute;
  /** Answers the request locally; the remaining passes' `onRequest` and the upstream are skipped. */
  respond(reply: LocalReply): void;
  /** Records "policy X did Y" on the flow. */
  record(policy: ActingPolicy, action: string): void;
  random(): number;
}

export interface HttpPass {
  readonly slot: HttpPassSlot;
  readonly name: string;
  onRequest?(ctx: HttpExchangeContext): void | Promise<void>;
  onResponse?(ctx: HttpExchangeContext): void | Promise<void>;
  /** After the exchange ended, whatever happened (the access log's hook); must not throw. */
  onComplete?(ctx: HttpExchangeContext): void;
}

export interface ListenerPasses {
  tcp: readonly TcpPass[];
  http: readonly HttpPass[];
}

/**
 * Where passes come from: the policy engine implements this from a dataplane's effective config.
 * Called once per listener per config version (never per connection).
 */
export interface PolicyPasses {
  forListener(listener: ListenerConfig): Partial<ListenerPasses>;
  /** mTLS inbound: the passes of the listener's TLS filter chains (from xDS). */
  forTlsChains?(listener: ListenerConfig): Partial<ListenerPasses>;
  /** Counters the policies keep outside any listener (access log lines written and dropped), for `/stats`. */
  stats?(): StatValue[];
}

/** Adds `x-request-id` when the client sent none (Envoy does the same). */
export const requestIdPass: HttpPass = {
  slot: 'request-id',
  name: 'x-request-id',
  onRequest(ctx) {
    if (ctx.request.requestId === undefined) ctx.request.append('x-request-id', ctx.http.requestId);
  },
};

/** A request id for a request that carries none. */
export function newRequestId(): string {
  return randomUUID();
}

function ordered<P extends { slot: string; name: string }>(passes: readonly P[], order: readonly string[], listener: string): P[] {
  for (const p of passes) {
    if (!order.includes(p.slot)) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `pass ${p.name} on listener ${listener} has unknown slot "${p.slot}" (slots: ${order.join(', ')})`);
    }
  }
  // Stable: passes sharing a slot keep the order they were given in.
  return passes.map((p, i) => ({ p, i })).sort((a, b) => order.indexOf(a.p.slot) - order.indexOf(b.p.slot) || a.i - b.i).map(({ p }) => p);
}

/** The chains of one listener: built-in passes plus the policies', in the fixed slot order. */
export function buildListenerPasses(listener: ListenerConfig, policies: PolicyPasses | undefined): ListenerPasses {
  const given = policies?.forListener(listener) ?? {};
  return {
    tcp: ordered(given.tcp ?? [], TCP_PASS_ORDER, listener.name),
    http: listener.protocol === 'http' ? ordered([requestIdPass, ...(given.http ?? [])], HTTP_PASS_ORDER, listener.name) : [],
  };
}
