import type { Socket } from 'node:net';
import type { ClusterRuntime } from '../cluster-state.ts';
import { idleSweep, type IdleTracked } from './idle-sweep.ts';

/** Idle keep-alive upstream connections are closed after this long unused, unless their cluster says otherwise. */
export const POOL_IDLE_MS = 60_000;
/** Idle connections kept per upstream (endpoint and source address); more are closed. */
const POOL_MAX_IDLE = 128;

/** The exchange side of an upstream connection: what its socket's events are dispatched to. */
export interface UpstreamOwner {
  onUpstreamData(chunk: Buffer): void;
  onUpstreamEnd(): void;
  onUpstreamClose(): void;
  onUpstreamDrain(): void;
}

/**
 * A keep-alive upstream connection. Its socket listeners are attached once for its whole life and
 * dispatch to the exchange that currently owns it (none while idle in the pool), so reusing a
 * connection costs no listener churn.
 */
export class UpstreamConn implements IdleTracked {
  owner: UpstreamOwner | null = null;
  /** Since when it is unused (the idle sweep closes it in the pool after the cluster's idle timeout); it stays in the sweep for its life, so reuse costs no sweep update. */
  idleSince = performance.now();
  readonly idleLimitMs: number;
  /** False once the connection cannot carry another request (closed, half-closed, stray bytes). */
  usable = true;
  /** performance.now() at connect: the cluster's max_connection_duration bounds its reuse. */
  readonly openedAt = performance.now();

  private readonly onData = (chunk: Buffer): void => {
    if (this.owner) this.owner.onUpstreamData(chunk);
    else this.socket.destroy(); // bytes from an idle connection: it is not a clean HTTP/1.1 peer
  };
  private readonly onEnd = (): void => {
    this.usable = false;
    if (this.owner) this.owner.onUpstreamEnd();
    else this.socket.destroy();
  };
  private readonly onClose = (): void => {
    this.usable = false;
    idleSweep.delete(this);
    this.pool.forget(this);
    const owner = this.owner;
    this.owner = null;
    owner?.onUpstreamClose();
  };
  private readonly onDrain = (): void => this.owner?.onUpstreamDrain();
  onIdle(): void {
    if (!this.owner) this.socket.destroy();
  }

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: UpstreamPool,
    readonly cluster: ClusterRuntime,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    this.idleLimitMs = cluster.config.idleTimeoutMs ?? POOL_IDLE_MS;
    if (this.idleLimitMs > 0) idleSweep.add(this);
    socket.once('close', () => {
      cluster.counters.upstream_cx_active--;
      cluster.state.limits.connectionFreed(true);
    });
  }

  /** Hands the socket over (to a relay, after an upgrade): our listeners go, the socket stays open. */
  detach(): Socket {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
    this.socket.off('drain', this.onDrain);
    idleSweep.delete(this);
    this.owner = null;
    this.usable = false;
    return this.socket;
  }
}

/** Idle upstream connections by key (`address|port|source`), most recently used first out. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConn[]>();

  acquire(key: string): UpstreamConn | undefined {
    const list = this.idle.get(key);
    while (list && list.length) {
      const conn = list.pop()!;
      if (conn.usable && !conn.socket.destroyed) return conn;
    }
    return undefined;
  }

  release(conn: UpstreamConn): void {
    conn.owner = null;
    const maxAge = conn.cluster.config.maxConnectionDurationMs;
    if (maxAge !== undefined && performance.now() - conn.openedAt >= maxAge) {
      conn.socket.destroy();
      return;
    }
    let list = this.idle.get(conn.key);
    if (!list) this.idle.set(conn.key, (list = []));
    if (list.length >= POOL_MAX_IDLE) {
      conn.socket.destroy();
      return;
    }
    list.push(conn);
    conn.idleSince = performance.now();
    // A request waiting for a connection of this cluster (max_connections reached) may take it.
    conn.cluster.state.limits.connectionFreed(false);
  }

  forget(conn: UpstreamConn): void {
    const list = this.idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
  }

  /**
   * Closes one idle connection of the cluster that owns `state` (its close frees a slot under
   * max_connections); false when it has none.
   */
  closeIdleOf(state: ClusterRuntime['state']): boolean {
    for (const list of this.idle.values()) {
      const i = list.findIndex((c) => c.cluster.state === state);
      if (i < 0) continue;
      const [conn] = list.splice(i, 1);
      conn!.socket.destroy();
      return true;
    }
    return false;
  }

  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  closeIdle(): void {
    for (const list of this.idle.values()) for (const conn of list.splice(0)) conn.socket.destroy();
  }
}
