import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { streamRelay } from './relay.ts';
import { upstreamTls } from './tls/session.ts';
import type { FlowRecord, FlowReason } from '../flows/index.ts';
import { ms, type Accepted, type EngineContext, type OpenConnection } from './context.ts';
import type { RelayHandle, RelayResult } from './relay.ts';
import { pickEndpoint, type ConnectFailure } from './upstream.ts';
import { hashKey } from '../policies/mesh-load-balancing-strategy/balancer.ts';

export interface TcpTimeouts {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * Raw TCP: connect to the cluster's upstream, then hand both sockets to the relay. The client stays
 * paused (nothing is read, so nothing is buffered) until the upstream is connected. A refused or
 * timed-out upstream is passed to the client as an RST, like Envoy's tcp_proxy does.
 */
export function proxyTcp(ctx: EngineContext, a: Accepted, client: Socket, flow: FlowRecord, timeouts: TcpTimeouts, onClose?: () => void): void {
  // MeshTCPRoute: the connection's cluster by weight (credited on the flow).
  const split = a.listener.tcpSplit;
  const cluster = split?.split ? split.pick(ctx.random()) : a.listener.cluster;
  if (split?.policy !== undefined) flow.policies.push({ type: 'MeshTCPRoute', name: split.policy, action: `route ${cluster.config.name}` });
  if (cluster !== a.listener.cluster) flow.cluster = cluster.config.name;
  const counters = cluster.counters;
  let relay: RelayHandle | undefined;
  const open: OpenConnection = {
    drain() {},
    abort() {
      if (relay) relay.abort('drain');
      else client.destroy();
    },
  };
  const publish = (): void => {
    flow.timings.totalMs = ms(a.t0, performance.now());
    ctx.open.delete(open);
    onClose?.();
    ctx.flows.publish(flow);
  };
  const fail = (reason: FlowReason): void => {
    flow.verdict = 'error';
    flow.reason = reason;
    client.resetAndDestroy();
    publish();
  };

  const endpoint = pickEndpoint(cluster, a.destination, a.capture, split?.hashesSource && cluster.state.hashing ? hashKey(a.client.address) : undefined);
  if (!endpoint) {
    counters.upstream_cx_none_healthy++;
    fail('no_healthy_upstream');
    return;
  }
  const { limits } = cluster.state;
  if (!limits.canConnect()) {
    // Envoy's tcp_proxy closes the downstream when the circuit breaker is open.
    counters.upstream_cx_overflow++;
    fail('upstream_overflow');
    return;
  }
  limits.connectionOpened();
  ctx.open.add(open);
  counters.upstream_cx_total++;
  const started = performance.now();
  ctx.upstreams.connect(endpoint, ctx.upstreams.source(cluster, endpoint, a.client), timeouts.connectTimeoutMs, cluster.config.tls, counters).then(
    ({ socket, connectMs }) => {
      cluster.state.report(endpoint, 'success');
      socket.once('close', () => limits.connectionFreed(true));
      flow.upstream = { address: endpoint.address, port: endpoint.port };
      flow.timings.connectMs = ms(0, connectMs);
      if (client.destroyed) {
        // The client left while we were connecting.
        socket.destroy();
        counters.upstream_cx_destroy_local++;
        flow.verdict = 'error';
        flow.reason = 'downstream_disconnect_before_upstream';
        publish();
        return;
      }
      counters.upstream_cx_active++;
      // TLS bytes are made in user space: a kernel splice relay cannot carry them.
      const relayer = client instanceof TLSSocket || socket instanceof TLSSocket ? streamRelay : ctx.relay;
      if (relayer.name === 'native') a.listener.counters.downstream_cx_relay_native++;
      else a.listener.counters.downstream_cx_relay_stream++;
      if (socket instanceof TLSSocket) flow.tls = upstreamTls(socket);
      relay = relayer.relay(client, socket, { idleTimeoutMs: timeouts.idleTimeoutMs }, (r: RelayResult) => {
        counters.upstream_cx_active--;
        counters.upstream_cx_tx_bytes_total += r.fromClient;
        counters.upstream_cx_rx_bytes_total += r.toClient;
        if (r.close === 'upstream_reset') counters.upstream_cx_destroy_remote++;
        else if (r.close !== 'fin') counters.upstream_cx_destroy_local++;
        if (r.close === 'idle_timeout') counters.upstream_cx_idle_timeout++;
        flow.bytes.fromClient = r.fromClient;
        flow.bytes.toClient = r.toClient;
        flow.close = r.close;
        if (r.firstUpstreamByteAt !== undefined) flow.timings.firstByteMs = ms(a.t0, r.firstUpstreamByteAt);
        if (r.close === 'upstream_reset' || r.close === 'idle_timeout') {
          flow.verdict = 'error';
          flow.reason = r.close;
        }
        publish();
      });
    },
    (failure: ConnectFailure) => {
      limits.connectionFreed(true);
      cluster.state.report(endpoint, 'local');
      if (failure.reason === 'upstream_connect_timeout') counters.upstream_cx_connect_timeout++;
      counters.upstream_cx_connect_fail++;
      flow.upstream = { address: endpoint.address, port: endpoint.port };
      flow.timings.connectMs = ms(started, performance.now());
      fail(failure.reason);
    },
  ).catch((err: unknown) => {
    // A bug here must cost this connection, never the process.
    counters.upstream_cx_destroy_local++;
    if (!client.destroyed) client.resetAndDestroy();
    flow.verdict = 'error';
    flow.reason = `internal_error: ${(err as Error)?.message ?? String(err)}`;
    publish();
  });
}
