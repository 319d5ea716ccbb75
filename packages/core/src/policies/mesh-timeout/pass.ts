import { durationToMs } from '../../model/policies/common.ts';
import type { ActingPolicy, HttpPass, TcpPass } from '../../proxy/chain.ts';
import type { Applied, ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass, policyTcpPass } from '../../proxy/policies/policy-pass.ts';
import type { MeshTimeoutConf } from './schema.ts';

/**
 * MeshTimeout, inbound (`from`) and outbound (`to`). `connectionTimeout` bounds the upstream
 * connect, `idleTimeout` closes a connection with no bytes either way (HTTP: a keep-alive
 * connection with no request in flight), `http.requestTimeout` bounds a request from its head to
 * the end of its response: on expiry the client gets 504 (verdict error, reason
 * `upstream_request_timeout`). `0s` disables idle and request timeouts. Values a policy leaves
 * unset keep the engine's defaults (Kuma's: 5s connect, 1h idle; no request timeout). HTTP only:
 * `requestHeadersTimeout` bounds the arrival of a request head (408, `request_headers_timeout`),
 * `streamIdleTimeout` a request with no byte either way and `maxStreamDuration` a whole request
 * (408 before the response, else a reset; `stream_idle_timeout`, `max_stream_duration`), and
 * `maxConnectionDuration` drains a client connection once that old (Envoy's semantics for each).
 */

interface Limit {
  ms: number;
  /** As written in the policy, for the flow record. */
  text: string;
}

interface Timeouts {
  policy: ActingPolicy;
  connect?: Limit;
  idle?: Limit;
  request?: Limit;
  streamIdle?: Limit;
  maxStream?: Limit;
  requestHeaders?: Limit;
  maxConnection?: Limit;
}

function limit(text: string | undefined): Limit | undefined {
  return text === undefined ? undefined : { ms: durationToMs(text), text };
}

function compile(a: Applied<MeshTimeoutConf>): Timeouts {
  const h = a.conf.http;
  return {
    policy: a.policy,
    connect: limit(a.conf.connectionTimeout),
    idle: limit(a.conf.idleTimeout),
    request: limit(h?.requestTimeout),
    streamIdle: limit(h?.streamIdleTimeout),
    maxStream: limit(h?.maxStreamDuration),
    requestHeaders: limit(h?.requestHeadersTimeout),
    maxConnection: limit(h?.maxConnectionDuration),
  };
}

/** Records the timeout that ended the flow, if this policy set it. */
function recordExpiry(t: Timeouts, reason: string | undefined, close: string | undefined, record: (p: ActingPolicy, action: string) => void): void {
  if (reason === 'upstream_connect_timeout' && t.connect) record(t.policy, `connect timeout ${t.connect.text}`);
  else if (reason === 'upstream_request_timeout' && t.request) record(t.policy, `request timeout ${t.request.text}: 504`);
  else if (reason === 'stream_idle_timeout' && t.streamIdle) record(t.policy, `stream idle timeout ${t.streamIdle.text}`);
  else if (reason === 'max_stream_duration' && t.maxStream) record(t.policy, `max stream duration ${t.maxStream.text}`);
  else if (close === 'idle_timeout' && t.idle) record(t.policy, `idle timeout ${t.idle.text}`);
}

/** Connect and idle timeouts, for every connection of the listener (HTTP ones too). */
export function timeoutTcpPass(source: ConfSource<Applied<MeshTimeoutConf>>): TcpPass | undefined {
  const timeouts = source.map((a) => {
    const t = compile(a);
    return t.connect || t.idle || t.requestHeaders || t.maxConnection ? t : undefined;
  });
  return policyTcpPass('MeshTimeout', 'timeout', timeouts, {
    onConnect(ctx, t) {
      if (t.connect) ctx.connectTimeoutMs = t.connect.ms;
      if (t.idle) ctx.idleTimeoutMs = t.idle.ms;
      if (ctx.listener.protocol !== 'http') return;
      if (t.requestHeaders) ctx.requestHeadersTimeoutMs = t.requestHeaders.ms;
      if (t.maxConnection) ctx.maxConnectionDurationMs = t.maxConnection.ms;
    },
    onClose(ctx, t) {
      recordExpiry(t, ctx.flow.reason, ctx.flow.close, (p, action) => ctx.record(p, action));
    },
  });
}

/** The request timeout of each request; records which timeout ended a request. */
export function timeoutHttpPass(source: ConfSource<Applied<MeshTimeoutConf>>): HttpPass | undefined {
  const timeouts = source.map((a) => {
    const t = compile(a);
    return t.connect || t.request || t.streamIdle || t.maxStream ? t : undefined;
  });
  const pass = policyHttpPass('MeshTimeout', 'timeout', timeouts, {
    onRequest(ctx, t) {
      if (t.request) ctx.route.requestTimeoutMs = t.request.ms;
      if (t.streamIdle) ctx.route.streamIdleTimeoutMs = t.streamIdle.ms;
      // The smaller bound wins when the cluster has one too.
      if (t.maxStream && (ctx.route.maxStreamDurationMs === 0 || t.maxStream.ms < ctx.route.maxStreamDurationMs)) ctx.route.maxStreamDurationMs = t.maxStream.ms;
    },
  });
  // Not a picked hook: most requests end with no reason, and those need no pick (a lookup per
  // request, and on outbound passthrough a key string built for it).
  if (pass) {
    pass.onComplete = (ctx) => {
      if (ctx.flow.reason === undefined) return;
      const t = timeouts.pick(ctx.flow.client, ctx.flow.destination);
      if (t) recordExpiry(t, ctx.flow.reason, undefined, (p, action) => ctx.record(p, action));
    };
  }
  return pass;
}
