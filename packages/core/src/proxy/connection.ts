import type { Socket } from 'node:net';
import type { FlowAddress, FlowReason } from '../flows/index.ts';
import type { ListenerConfig } from './config.ts';
import type { TcpConnectionContext } from './chain.ts';
import { ms, newFlow, runPasses, type Accepted, type EngineContext, type ListenerRuntime } from './context.ts';
import { serveHttp } from './http2/codec.ts';
import type { ListenerRoutes } from './listener-routes.ts';
import { originalDestination, type Destination } from './original-destination.ts';
import { proxyTcp, type TcpTimeouts } from './tcp-proxy.ts';
import { peekTransport, terminateTls } from './tls/session.ts';
import { ignoreError } from './upstream.ts';

/** A client has this long to complete the mTLS handshake. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** PERMISSIVE: a client silent this long is taken for plaintext (Envoy's listener_filters_timeout default). */
const TLS_INSPECTOR_TIMEOUT_MS = 15_000;

/**
 * A socket accepted on a listener: reads its original destination (transparent capture), refuses a
 * redirect loop, hands it to the declared listener for that destination (Envoy's use_original_dst),
 * then runs the connection. `lr` is undefined when the socket's listener is gone from the config.
 */
export function acceptConnection(ctx: EngineContext, lr: ListenerRuntime | undefined, routes: ListenerRoutes, socket: Socket): void {
  socket.on('error', ignoreError);
  if (!lr || ctx.draining) {
    socket.destroy();
    return;
  }
  const t0 = performance.now();
  const start = Date.now();
  countOpen(lr, socket);
  const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  let target = lr;
  let destination: Destination;
  if (lr.config.useOriginalDst) {
    try {
      destination = originalDestination(socket, lr.config.capture);
    } catch (err) {
      lr.counters.downstream_cx_no_original_dst++;
      reject(ctx, lr, socket, client, start, t0, `no_original_destination: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    if (ctx.upstreams.isOwn(client, destination)) {
      // Our own upstream connection came back: capture rules that do not exclude the proxy. Refuse, never loop.
      lr.counters.downstream_cx_redirect_loop++;
      reject(ctx, lr, socket, client, start, t0, 'redirect_loop');
      return;
    }
    const handed = routes.resolve(lr.config.direction, destination);
    if (handed) {
      target = handed;
      countOpen(handed, socket);
      handed.counters.downstream_cx_handed_off++;
    }
  } else {
    destination = { address: socket.localAddress ?? '', port: socket.localPort ?? 0, family: socket.localFamily === 'IPv6' ? 6 : 4 };
  }
  const a: Accepted = {
    connectionId: ctx.ids.next(),
    start,
    t0,
    listener: target,
    capture: lr.config.capture,
    client,
    destination: { address: destination.address, port: destination.port },
    family: destination.family,
  };
  handle(ctx, a, socket);
}

/** A captured connection we cannot serve: RST, counted, and recorded as a flow. */
function reject(ctx: EngineContext, lr: ListenerRuntime, socket: Socket, client: FlowAddress, start: number, t0: number, reason: FlowReason): void {
  const a: Accepted = {
    connectionId: ctx.ids.next(),
    start,
    t0,
    listener: lr,
    capture: lr.config.capture,
    client,
    destination: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
    family: socket.localFamily === 'IPv6' ? 6 : 4,
  };
  const flow = newFlow(ctx, a, 'tcp', a.connectionId, start);
  flow.verdict = 'error';
  flow.reason = reason;
  flow.timings.totalMs = ms(t0, performance.now());
  socket.resetAndDestroy();
  ctx.flows.publish(flow);
}

/**
 * mTLS inbound: STRICT terminates every connection; PERMISSIVE those that open with a TLS
 * ClientHello (tls_inspector), the others go on as plaintext, recorded as such. A refused
 * handshake is a denied flow with its reason, never a silent reset.
 */
function acceptMtls(ctx: EngineContext, a: Accepted, socket: Socket, m: NonNullable<ListenerConfig['mtls']>): void {
  const tlsSide = a.listener.tls!;
  const terminate = (head?: Buffer): void => {
    void terminateTls(socket, m.tls, TLS_HANDSHAKE_TIMEOUT_MS, head).then((r) => {
      if (r.ok) {
        handle(ctx, { ...a, listener: tlsSide, tls: r.tls }, r.socket);
        return;
      }
      a.listener.counters.downstream_cx_denied++;
      const flow = newFlow(ctx, { ...a, tls: r.tls }, a.listener.config.protocol, a.connectionId, a.start);
      flow.verdict = 'denied';
      flow.reason = r.reason;
      flow.timings.totalMs = ms(a.t0, performance.now());
      ctx.flows.publish(flow);
    });
  };
  if (!m.permissive) {
    terminate();
    return;
  }
  void peekTransport(socket, TLS_INSPECTOR_TIMEOUT_MS).then(({ tls, head }) => {
    if (tls) {
      terminate(head);
      return;
    }
    if (head) socket.unshift(head);
    handle(ctx, { ...a, tls: { mode: 'plaintext', verified: false } }, socket);
  });
}

/** Runs the listener's TCP chain, then hands the connection to the HTTP session or the TCP relay. */
function handle(ctx: EngineContext, a: Accepted, socket: Socket): void {
  const mtls = a.listener.config.mtls;
  if (mtls && !a.listener.tlsSide && a.tls === undefined) {
    acceptMtls(ctx, a, socket, mtls);
    return;
  }
  const passes = a.listener.passes.tcp;
  const protocol = a.listener.config.protocol;
  const timeouts: TcpTimeouts = { connectTimeoutMs: a.listener.cluster.config.connectTimeoutMs ?? ctx.connectTimeoutMs, idleTimeoutMs: ctx.idleTimeoutMs };
  if (passes.length === 0) {
    if (protocol === 'http') serveHttp(ctx, a, socket, { ...timeouts, requestHeadersTimeoutMs: ctx.requestHeadersTimeoutMs, maxConnectionDurationMs: 0 });
    else proxyTcp(ctx, a, socket, newFlow(ctx, a, 'tcp', a.connectionId, a.start), timeouts);
    return;
  }
  const flow = newFlow(ctx, a, protocol, a.connectionId, a.start);
  let denied = false;
  const tctx: TcpConnectionContext = {
    flow,
    listener: a.listener.config,
    client: a.client,
    destination: a.destination,
    connectTimeoutMs: timeouts.connectTimeoutMs,
    idleTimeoutMs: timeouts.idleTimeoutMs,
    requestHeadersTimeoutMs: ctx.requestHeadersTimeoutMs,
    maxConnectionDurationMs: 0,
    deny(policy, reason) {
      denied = true;
      flow.policies.push({ type: policy.type, name: policy.name, action: 'deny' });
      flow.verdict = 'denied';
      flow.reason = reason;
    },
    record(policy, action) {
      flow.policies.push({ type: policy.type, name: policy.name, action });
    },
    random: ctx.random,
  };
  const closed = (): void => {
    for (const p of passes) {
      try {
        p.onClose?.(tctx);
      } catch {
        // An access log that fails must not take the connection down with it; it is counted.
        a.listener.counters.pass_completion_errors++;
      }
    }
  };
  const proceed = (): void => {
    if (denied) {
      a.listener.counters.downstream_cx_denied++;
      socket.destroy();
      flow.timings.totalMs = ms(a.t0, performance.now());
      closed();
      ctx.flows.publish(flow);
      return;
    }
    const t = { connectTimeoutMs: tctx.connectTimeoutMs, idleTimeoutMs: tctx.idleTimeoutMs, requestHeadersTimeoutMs: tctx.requestHeadersTimeoutMs, maxConnectionDurationMs: tctx.maxConnectionDurationMs };
    if (protocol === 'http') serveHttp(ctx, a, socket, t);
    else proxyTcp(ctx, a, socket, flow, t, closed);
  };
  const failed = (err: unknown): void => {
    flow.verdict = 'error';
    flow.reason = `pass_error: ${(err as Error)?.message ?? String(err)}`;
    socket.resetAndDestroy();
    flow.timings.totalMs = ms(a.t0, performance.now());
    closed();
    ctx.flows.publish(flow);
  };
  try {
    const r = runPasses(passes, (p) => p.onConnect(tctx), () => denied);
    if (r) r.then(proceed, failed).catch(failed);
    else proceed();
  } catch (err) {
    failed(err);
  }
}

/** Counts an open connection on a listener (total and active). */
function countOpen(l: ListenerRuntime, socket: Socket): void {
  const c = l.counters;
  c.downstream_cx_total++;
  c.downstream_cx_active++;
  socket.once('close', () => {
    c.downstream_cx_active--;
    c.downstream_cx_destroy++;
  });
}
