import http2, { type ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { ClusterRuntime } from '../cluster-state.ts';
import { connectionWindow, localSettings, MAX_HEADER_PAIRS, MAX_SESSION_MEMORY_MB } from './options.ts';

/** Unused upstream HTTP/2 connections close after this long (Envoy's cluster idle_timeout default is 1 h; the HTTP/1 pool's is 60 s). */
const DEFAULT_IDLE_MS = 60_000;

/**
 * Upstream HTTP/2 connections, one per endpoint and source address, shared by every stream to it
 * (streams are multiplexed; nghttp2 holds back a stream beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS
 * until one closes). A connection that received GOAWAY or closed is forgotten, so the next stream
 * opens a fresh one; streams opened while one is being connected wait for it.
 */
export class Http2UpstreamPool {
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly connecting = new Map<string, Promise<ClientHttp2Session>>();

  get size(): number {
    return this.sessions.size;
  }

  /** The connection for `key`, or a new one over the socket `connect` makes (its failure rejects, for every waiting stream). */
  session(key: string, cluster: ClusterRuntime, connect: () => Promise<Socket>): ClientHttp2Session | Promise<ClientHttp2Session> {
    const s = this.sessions.get(key);
    if (s && !s.closed && !s.destroyed) return s;
    let pending = this.connecting.get(key);
    if (pending) return pending;
    cluster.counters.upstream_cx_total++;
    pending = connect().then(
      (socket) => {
        this.connecting.delete(key);
        return this.open(key, cluster, socket);
      },
      (err: unknown) => {
        this.connecting.delete(key);
        throw err;
      },
    );
    this.connecting.set(key, pending);
    return pending;
  }

  private open(key: string, cluster: ClusterRuntime, socket: Socket): ClientHttp2Session {
    const c = cluster.config;
    cluster.counters.upstream_cx_active++;
    const session = http2.connect(`http://${socket.remoteAddress?.includes(':') ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}`, {
      createConnection: () => socket,
      settings: localSettings(c.http2),
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
    });
    session.on('error', () => {});
    const forget = (): void => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.once('goaway', forget);
    session.once('close', () => {
      forget();
      cluster.counters.upstream_cx_active--;
    });
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(connectionWindow(c.http2));
      } catch {
        // A session already closing needs no window.
      }
    });
    const idle = c.idleTimeoutMs ?? DEFAULT_IDLE_MS;
    if (idle > 0) {
      session.setTimeout(idle, () => {
        cluster.counters.upstream_cx_idle_timeout++;
        forget();
        session.close();
      });
    }
    this.sessions.set(key, session);
    return session;
  }

  /** Drain: GOAWAY every connection; open streams finish. */
  closeAll(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}
