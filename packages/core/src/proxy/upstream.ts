import net, { type Socket } from 'node:net';
import { connectMarked } from '@meshcap/native';
import type { CaptureKind, FlowAddress, FlowReason } from '../flows/index.ts';
import { canonicalAddress } from '../model/common.ts';
import type { UpstreamEndpoint } from './config.ts';
import type { ClusterRuntime } from './cluster-state.ts';
import type { ClusterCounters } from './stats.ts';
import type { TlsSocketConfig } from './tls/decode.ts';
import { originateTls, type UpstreamTlsFailure } from './tls/session.ts';

/** Why an upstream connection could not be made; `reason` goes on the flow. */
export class ConnectFailure extends Error {
  override name = 'ConnectFailure';
  constructor(readonly reason: FlowReason) {
    super(reason);
  }
}

/** Every socket gets one of these first, so an 'error' with no other listener never crashes the proxy. */
export function ignoreError(): void {}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** The upstream for a connection: a healthy endpoint of the cluster (by its balancer; `hash` for the hashing ones), or where the client was going. */
export function pickEndpoint(cluster: ClusterRuntime, destination: FlowAddress, capture: CaptureKind, hash?: number): UpstreamEndpoint | undefined {
  const c = cluster.config;
  if (c.kind === 'original_dst') return destination;
  const n = c.endpoints.length;
  // TPROXY: the proxy connects as the client, which cannot reach a loopback address; the app is
  // reached on the address the client called (it must listen there or on 0.0.0.0/::).
  if (c.transparentSource && n === 1 && isLoopback(c.endpoints[0]!.address)) return { address: destination.address, port: c.endpoints[0]!.port };
  // A service with no known endpoints, reached transparently: the client called its address, use it.
  if (n === 0) return c.kind === 'service' && capture !== 'explicit' ? destination : undefined;
  return cluster.state.pick(hash);
}

export interface UpstreamSource {
  /** Source address to bind (127.0.0.6, ::6, or the client's address under TPROXY). */
  localAddress?: string;
  /** Bind a non-local source (IP_TRANSPARENT): the client's own address. */
  transparent: boolean;
  /** SO_MARK for the socket (0: none). */
  mark: number;
}

export const INBOUND_SOURCE_V4 = '127.0.0.6';
export const INBOUND_SOURCE_V6 = '::6';

/** A connection by both ends, each address as the kernel prints it. */
function ownKey(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${localAddress}|${localPort}|${remoteAddress}|${remotePort}`;
}

/**
 * Opens the proxy's upstream connections: with SO_MARK and/or a transparent source through
 * @meshcap/native when asked, else with plain `net.connect`. It remembers both ends of every
 * connection it opened, so a capture listener can recognise one of them coming back (a redirect
 * loop: the proxy's own traffic captured again) and refuse it instead of looping.
 */
export class UpstreamConnector {
  private readonly own = new Set<string>();

  constructor(
    /** SO_MARK for every upstream socket (0: none). Needs CAP_NET_ADMIN. */
    readonly mark: number,
    /**
     * TPROXY mode: the mark on the proxy's connections to the app (from the client's address), so
     * the capture rules save it on the connection and route the app's replies back to the proxy.
     */
    readonly tproxyMark: number,
  ) {}

  /**
   * Whether a captured connection from `client` to `destination` (its original destination) is one
   * of our own upstream connections. The whole 4-tuple, not the local end alone: the kernel gives
   * one local port to several connections as long as their destinations differ, so an app's
   * connection can share its source port with one of ours to another address or port (a pooled
   * HTTP upstream, say); matching on the port alone refused such app connections as loops (RST),
   * a few in every 10,000 under load (the soak).
   */
  isOwn(client: FlowAddress, destination: FlowAddress): boolean {
    return this.own.size !== 0 && this.own.has(ownKey(client.address, client.port, destination.address, destination.port));
  }

  /** Source for a connection to `endpoint`: inbound clusters connect from 127.0.0.6/::6, or (TPROXY) as the client. */
  source(cluster: ClusterRuntime, endpoint: UpstreamEndpoint, client: FlowAddress): UpstreamSource {
    const c = cluster.config;
    if (c.transparentSource && net.isIP(client.address) === net.isIP(endpoint.address)) return { localAddress: client.address, transparent: true, mark: this.tproxyMark };
    if (c.inboundSource) return { localAddress: net.isIP(endpoint.address) === 6 ? INBOUND_SOURCE_V6 : INBOUND_SOURCE_V4, transparent: false, mark: this.mark };
    return { transparent: false, mark: this.mark };
  }

  /** Connects, or rejects with a ConnectFailure (`upstream_connect_refused`, `upstream_connect_timeout`, `upstream_tls_…`); with `tls`, over mTLS. */
  connect(endpoint: UpstreamEndpoint, source: UpstreamSource, timeoutMs: number, tls?: TlsSocketConfig, counters?: ClusterCounters): Promise<{ socket: Socket; connectMs: number }> {
    const plain = this.connectPlain(endpoint, source, timeoutMs);
    if (!tls) return plain;
    return plain.then(({ socket }) => {
      const t = performance.now();
      return originateTls(socket, tls, timeoutMs, `${endpoint.address}:${endpoint.port}`).then(
        (s) => {
          if (counters) {
            counters['ssl.handshake']++;
            if (s.isSessionReused()) counters['ssl.session_reused']++;
          }
          return { socket: s as Socket, connectMs: performance.now() - t };
        },
        (err: UpstreamTlsFailure) => {
          if (counters) counters['ssl.connection_error']++;
          return Promise.reject(new ConnectFailure(err.reason));
        },
      );
    });
  }

  private connectPlain(endpoint: UpstreamEndpoint, source: UpstreamSource, timeoutMs: number): Promise<{ socket: Socket; connectMs: number }> {
    return new Promise((resolve, reject) => {
      const t = performance.now();
      let socket: Socket;
      try {
        socket =
          source.mark !== 0 || source.transparent
            ? connectMarked({ host: endpoint.address, port: endpoint.port, mark: source.mark, localAddress: source.localAddress, transparent: source.transparent, allowHalfOpen: true })
            : net.connect({ host: endpoint.address, port: endpoint.port, localAddress: source.localAddress, allowHalfOpen: true, noDelay: true });
      } catch (err) {
        reject(new ConnectFailure(`upstream_connect_error: ${(err as NodeJS.ErrnoException).code ?? 'EINVAL'}`));
        return;
      }
      socket.on('error', ignoreError);
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              socket.destroy();
              reject(new ConnectFailure('upstream_connect_timeout'));
            }, timeoutMs)
          : undefined;
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(new ConnectFailure(err.code === 'ECONNREFUSED' ? 'upstream_connect_refused' : `upstream_connect_error: ${err.code ?? 'unknown'}`));
      };
      socket.once('error', onError);
      // Node issues the connect() syscall in a nextTick queued by net.connect; ours runs right after
      // it, when the kernel has assigned the local port but before any I/O callback (such as a
      // capture listener accepting this very connection) can run. So a loop is always recognised.
      let key: string | undefined;
      process.nextTick(() => {
        const local = socket.address() as { address?: string; port?: number };
        if (local.port === undefined || socket.destroyed) return;
        // The endpoint's address as a resource wrote it; the captured side reads the kernel's form.
        key = ownKey(local.address ?? '', local.port, canonicalAddress(endpoint.address), endpoint.port);
        this.own.add(key);
      });
      socket.once('close', () => {
        if (key !== undefined) this.own.delete(key);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (source.mark !== 0 || source.transparent) socket.setNoDelay(true);
        resolve({ socket, connectMs: performance.now() - t });
      });
    });
  }
}
