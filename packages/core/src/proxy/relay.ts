import type { Socket } from 'node:net';
import { canRelaySockets, relaySockets } from '@meshcap/native';

/** How a relayed stream ended. */
export type RelayClose = 'fin' | 'client_reset' | 'upstream_reset' | 'idle_timeout' | 'local' | 'drain';

export interface RelayResult {
  /** Bytes read from the client and written upstream (including `clientHead`). */
  fromClient: number;
  /** Bytes read from the upstream and written to the client (including `upstreamHead`). */
  toClient: number;
  close: RelayClose;
  /** `performance.now()` when the first upstream byte arrived (undefined when none did). */
  firstUpstreamByteAt?: number;
}

export interface RelayOptions {
  /** Close both sides after this long with no byte in either direction. 0 disables. */
  idleTimeoutMs: number;
  /** Bytes already read from the client that go upstream first (e.g. after an HTTP upgrade). */
  clientHead?: Buffer;
  /** Bytes already read from the upstream that go to the client first. */
  upstreamHead?: Buffer;
}

export interface RelayHandle {
  /** Ends the relay now (drain deadline, shutdown): both sockets are destroyed; `done` reports `reason`. */
  abort(reason: 'local' | 'drain'): void;
}

/**
 * Moves bytes both ways between two connected sockets until both directions are finished.
 * Contract for every implementation (a native splice() relay can replace the stream one):
 * - backpressure both ways: a side is read only as fast as the other side takes the bytes;
 * - half-close: a FIN from one side is passed on as a FIN and the other direction stays open;
 * - an RST (or any socket error) from one side is passed on as an RST to the other;
 * - idle timeout over both directions; byte counts per direction;
 * - `done` is called exactly once, after both sockets are closed.
 * Both sockets must have been created with `allowHalfOpen: true`; the client socket may be paused.
 */
export interface TcpRelay {
  readonly name: string;
  relay(client: Socket, upstream: Socket, options: RelayOptions, done: (result: RelayResult) => void): RelayHandle;
}

function isOpen(s: Socket): boolean {
  return !s.destroyed;
}

/** Node streams: each side's 'data' is written to the other; a full write buffer pauses the reader until 'drain'. */
class StreamRelay implements RelayHandle {
  private fromClient = 0;
  private toClient = 0;
  private firstUpstreamByteAt: number | undefined;
  private close: RelayClose | undefined;
  private closed = 0;
  private finished = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    options: RelayOptions,
    private readonly done: (result: RelayResult) => void,
  ) {
    const { clientHead, upstreamHead } = options;
    if (clientHead?.length) {
      this.fromClient += clientHead.length;
      upstream.write(clientHead);
    }
    if (upstreamHead?.length) {
      this.toClient += upstreamHead.length;
      this.firstUpstreamByteAt = performance.now();
      client.write(upstreamHead);
    }
    client.on('data', (chunk: Buffer) => {
      this.fromClient += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.firstUpstreamByteAt === undefined) this.firstUpstreamByteAt = performance.now();
      this.toClient += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    // Half-close: pass the FIN on, keep the other direction open.
    client.on('end', () => {
      if (isOpen(upstream)) upstream.end();
    });
    upstream.on('end', () => {
      if (isOpen(client)) client.end();
    });
    client.on('error', () => this.reset('client_reset', upstream));
    upstream.on('error', () => this.reset('upstream_reset', client));
    client.on('close', () => this.onClose());
    upstream.on('close', () => this.onClose());
    if (options.idleTimeoutMs > 0) {
      // Every byte relayed is read from or written to the client socket, so its timer covers both directions.
      client.setTimeout(options.idleTimeoutMs, () => this.abortWith('idle_timeout'));
    }
    client.resume();
  }

  private reset(close: RelayClose, other: Socket): void {
    this.close ??= close;
    if (isOpen(other)) other.resetAndDestroy();
  }

  private onClose(): void {
    if (++this.closed === 2) this.finish();
  }

  private abortWith(close: RelayClose): void {
    this.close ??= close;
    if (isOpen(this.client)) this.client.destroy();
    if (isOpen(this.upstream)) this.upstream.destroy();
  }

  abort(reason: 'local' | 'drain'): void {
    this.abortWith(reason);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.client.setTimeout(0);
    this.done({ fromClient: this.fromClient, toClient: this.toClient, close: this.close ?? 'fin', firstUpstreamByteAt: this.firstUpstreamByteAt });
  }
}

/** The relay in plain Node streams: where bytes must pass through JavaScript (TLS), and the fallback. */
export const streamRelay: TcpRelay = {
  name: 'stream',
  relay: (client, upstream, options, done) => new StreamRelay(client, upstream, options, done),
};

/**
 * The relay in C (@meshcap/native's relaySockets): both fds polled on the addon's thread, read/send
 * for small messages, splice() through a pipe for bulk, no JavaScript per chunk; only the byte
 * counts and the close come back. Sockets Node still has bytes queued to write on go to the stream
 * relay instead (nothing is lost or reordered).
 */
export const nativeRelay: TcpRelay = {
  name: 'native',
  relay(client, upstream, options, done) {
    if (!canRelaySockets(client, upstream)) return streamRelay.relay(client, upstream, options, done);
    const startedAt = performance.now();
    return relaySockets(client, upstream, options, (r) =>
      done({
        fromClient: r.fromClient,
        toClient: r.toClient,
        close: r.close,
        firstUpstreamByteAt: options.upstreamHead?.length ? startedAt : r.firstUpstreamByteAfterMs === undefined ? undefined : startedAt + r.firstUpstreamByteAfterMs,
      }),
    );
  },
};

/** The relays by name (`meshcap dp --tcp-relay`). */
export const tcpRelays: Readonly<Record<'native' | 'stream', TcpRelay>> = { native: nativeRelay, stream: streamRelay };
