/**
 * `@meshcap/native`: the Linux socket options Node lacks, for a transparent proxy.
 *
 * - {@link originalDestination}: where a REDIRECTed connection was going (SO_ORIGINAL_DST).
 * - {@link createTransparentListenSocket} / {@link listenTransparent}: a listener that accepts
 *   TPROXY-diverted connections to non-local addresses (IP_TRANSPARENT / IPV6_TRANSPARENT);
 *   {@link createListenSocket} / {@link listenOnSocket} also with SO_REUSEPORT, so each engine
 *   thread of one dataplane can listen on the same port.
 * - {@link connectMarked}: an upstream connection whose packets carry SO_MARK from the first SYN, so
 *   capture rules can exclude the proxy's own traffic; optionally from a chosen or foreign source.
 * - {@link getSocketMark} / {@link setSocketMark}: SO_MARK on an open socket.
 * - {@link exitWithParent}: a child process that does not outlive its parent (PR_SET_PDEATHSIG).
 * - {@link relaySockets}: a TCP relay in C (epoll on the addon's own thread; read/write for small
 *   messages, splice() through a pipe for bulk) between two connected sockets.
 *
 * Errors from the kernel are Node-style: `code` is the errno name (`'ENOENT'`, `'EPERM'`…), `errno`
 * the negated errno number (as Node reports it), `syscall` the failing call. Bad arguments throw a
 * `TypeError` (code `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE`) before any syscall.
 */
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { constants as osConstants } from 'node:os';

/** The raw addon. Takes file descriptors and pre-checked values; use the wrappers below instead. */
interface Addon {
  originalDestination(fd: number): OriginalDestination;
  createListenSocket(family: 4 | 6, host: string, port: number, backlog: number, ipv6Only: boolean, transparent: boolean, reusePort: boolean): number;
  createOutgoingSocket(family: 4 | 6, mark: number, transparent: boolean, localAddress: string | null, localPort: number): number;
  getSocketMark(fd: number): number;
  setSocketMark(fd: number, mark: number): void;
  /** Arms PR_SET_PDEATHSIG; returns getppid() after arming. */
  setParentDeathSignal(signal: number): number;
  /** Starts the relay thread once; `onDone` is called on this thread for each finished relay. */
  relayInit(onDone: (id: number, fromClient: number, toClient: number, close: NativeRelayClose, firstUpstreamByteMs: number) => void): void;
  relayStart(clientFd: number, upstreamFd: number, idleTimeoutMs: number, clientHead: Buffer | null, upstreamHead: Buffer | null): number;
  relayAbort(id: number, drain: boolean): void;
}

const ADDON_PATH = '../build/Release/meshcap_native.node';

function loadAddon(): Addon {
  try {
    return createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw Object.assign(
      new Error(`@meshcap/native: the addon is not built (${ADDON_PATH} is missing); run \`npm run install -w @meshcap/native\``, {
        cause: err,
      }),
      { code: 'MODULE_NOT_FOUND' },
    );
  }
}

const addon = loadAddon();

/** A connection's destination as the client addressed it, before NAT. */
export interface OriginalDestination {
  /** IPv4 dotted quad or IPv6 text (`inet_ntop` form, no zone). */
  address: string;
  port: number;
  family: 4 | 6;
}

/** The error a caller can test for: the connection was not redirected. */
export const NOT_REDIRECTED_CODE = 'ENOENT';

/**
 * The original destination of a connection accepted after an iptables/ip6tables (or nftables)
 * `REDIRECT`/`DNAT`, read with `getsockopt(SO_ORIGINAL_DST)` (IPv4) or
 * `getsockopt(IP6T_SO_ORIGINAL_DST)` (IPv6) on the socket's fd.
 *
 * An IPv4 client accepted on a dual-stack `::` listener (Node's default) comes back as
 * `family: 4` with the plain dotted address, not `::ffff:a.b.c.d`.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `socket` is not a `net.Socket`.
 * @throws Error `ERR_SOCKET_CLOSED` when the socket has no open fd (destroyed, or never connected).
 * @throws Error `ENOENT` (syscall `getsockopt`) when the connection was not redirected: either
 *   conntrack has no entry for it, or its original destination is its own local address. Under
 *   TPROXY there is no NAT, so this is what you get; use `socket.localAddress` there.
 * @throws Error `ENOTSOCK` when the fd is not a socket (e.g. a net.Socket over a pipe/FIFO),
 *   `EOPNOTSUPP` for a Unix-domain socket, `ENOPROTOOPT` for a non-TCP socket.
 */
export function originalDestination(socket: net.Socket): OriginalDestination {
  return addon.originalDestination(socketFd(socket, 'socket'));
}

/** True when `err` is {@link originalDestination}'s "this connection was not redirected". */
export function isNotRedirected(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === NOT_REDIRECTED_CODE;
}

export interface TransparentListenOptions {
  /** Address to bind, an IP literal: `'0.0.0.0'`, `'::'`, `'127.0.0.1'`… */
  host: string;
  /** Port to bind, 0–65535 (0: the kernel picks). */
  port: number;
  /** Address family; defaults to the family of `host`. */
  family?: 4 | 6;
  /** listen() backlog; default 511 like Node. */
  backlog?: number;
  /** For IPv6: refuse IPv4 (IPV6_V6ONLY). Default false: dual-stack, like Node's `::` listeners. */
  ipv6Only?: boolean;
}

export interface ListenSocketOptions extends TransparentListenOptions {
  /** IP_TRANSPARENT / IPV6_TRANSPARENT before bind (see {@link createTransparentListenSocket}). Default false. */
  transparent?: boolean;
  /**
   * SO_REUSEPORT before bind: several sockets (of this process's threads, or of processes of the
   * same user) may listen on the same address and port, and the kernel spreads incoming
   * connections among them by a hash of the 4-tuple. Default false.
   */
  reusePort?: boolean;
}

/**
 * Creates a listening TCP socket with SO_REUSEADDR, bound to `host:port` and listening, plus
 * IP_TRANSPARENT (`transparent`) and SO_REUSEPORT (`reusePort`) set before bind, which Node 20's
 * `net.Server` cannot do. Returns the fd (non-blocking, close-on-exec) for
 * `net.Server#listen({ fd })`, which then owns it.
 *
 * @throws TypeError on bad options; Node-style errors from `socket`, `setsockopt` (`EPERM` for
 *   transparent without CAP_NET_ADMIN or CAP_NET_RAW), `bind` (`EADDRINUSE`, `EADDRNOTAVAIL`…) and `listen`.
 */
export function createListenSocket(options: ListenSocketOptions): number {
  const opts = checkObject(options, 'options');
  const host = checkIp(opts.host, 'options.host');
  const family = opts.family === undefined ? host.family : checkFamily(opts.family, 'options.family');
  if (family !== host.family) throw invalidValue('options.family', family, `does not match options.host '${host.text}'`);
  const port = checkInteger(opts.port, 'options.port', 0, 65535);
  const backlog = opts.backlog === undefined ? 511 : checkInteger(opts.backlog, 'options.backlog', 0, 0x7fffffff);
  const ipv6Only = opts.ipv6Only === undefined ? false : checkBoolean(opts.ipv6Only, 'options.ipv6Only');
  const transparent = opts.transparent === undefined ? false : checkBoolean(opts.transparent, 'options.transparent');
  const reusePort = opts.reusePort === undefined ? false : checkBoolean(opts.reusePort, 'options.reusePort');
  return addon.createListenSocket(family, host.text, port, backlog, ipv6Only, transparent, reusePort);
}

/**
 * Creates a listening TCP socket with IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6) set before
 * bind, plus SO_REUSEADDR, bound to `host:port` and listening. A TPROXY rule can divert connections
 * for any (non-local) address to it, and each accepted socket's local address is the original
 * destination. Returns the fd (non-blocking, close-on-exec) for `net.Server#listen({ fd })`, which
 * then owns it. Needs CAP_NET_ADMIN or CAP_NET_RAW (else `EPERM`, syscall `setsockopt`).
 *
 * @throws TypeError on bad options; Node-style errors from `socket`, `setsockopt`, `bind`
 *   (`EADDRINUSE`, `EADDRNOTAVAIL`…) and `listen`.
 */
export function createTransparentListenSocket(options: TransparentListenOptions): number {
  return createListenSocket({ ...checkObject(options, 'options'), transparent: true, reusePort: false });
}

/**
 * Makes `server` listen on a socket made by {@link createListenSocket} and resolves with its
 * address once it is listening. Rejects (and closes the socket) on failure.
 */
export function listenOnSocket(server: net.Server, options: ListenSocketOptions): Promise<net.AddressInfo> {
  if (!(server instanceof net.Server)) throw invalidType('server', 'a net.Server', server);
  const fd = createListenSocket(options);
  const backlog = options.backlog;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server.address() as net.AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // From here the server's handle owns the fd and closes it on error or close.
    server.listen({ fd, backlog });
  });
}

/**
 * Makes `server` listen on a transparent socket ({@link createTransparentListenSocket}) and resolves
 * with its address once it is listening. Rejects (and closes the socket) on failure.
 */
export function listenTransparent(server: net.Server, options: TransparentListenOptions): Promise<net.AddressInfo> {
  if (!(server instanceof net.Server)) throw invalidType('server', 'a net.Server', server);
  return listenOnSocket(server, { ...checkObject(options, 'options'), transparent: true, reusePort: false });
}

export interface MarkedConnectOptions {
  /** Destination IP literal (hostnames are refused: Node would resolve and may open a new, unmarked socket). */
  host: string;
  /** Destination port, 1–65535. */
  port: number;
  /**
   * SO_MARK for every packet of the connection, including the SYN, 0–0xffffffff. 0 means no mark
   * (nothing is set). Setting a mark needs CAP_NET_ADMIN or CAP_NET_RAW (else `EPERM`).
   */
  mark: number;
  /** Source address to bind before connecting, e.g. `'127.0.0.6'`; same family as `host`. */
  localAddress?: string;
  /** Source port (needs `localAddress`); default 0, chosen at connect time. */
  localPort?: number;
  /**
   * Set IP_TRANSPARENT / IPV6_TRANSPARENT so `localAddress` may be a non-local address (the
   * client's, as a TPROXY proxy does). Replies reach the socket only with policy routing for them.
   */
  transparent?: boolean;
  /** Passed to the net.Socket: keep the writable side open after the peer ends. */
  allowHalfOpen?: boolean;
}

/**
 * Opens a TCP connection whose socket has SO_MARK (and optionally IP_TRANSPARENT and a bound source
 * address) set before connect, so the mark is on the SYN and a `-m mark --mark X -j RETURN` rule
 * keeps the connection out of capture. Returns a connecting `net.Socket` that behaves like
 * `net.connect()`'s: `'connect'`, `'error'` (e.g. `ECONNREFUSED`, syscall `connect`), timeouts.
 *
 * How: the addon creates the socket and sets the options; the fd is handed to `new net.Socket({ fd })`
 * and Node's own `connect()` then uses that same fd (libuv reuses an open fd rather than making one).
 *
 * @throws TypeError on bad options; Node-style errors (`EPERM`, `EADDRNOTAVAIL`…) from `socket`,
 *   `setsockopt` and `bind`, synchronously. Connection errors arrive as `'error'` events.
 */
export function connectMarked(options: MarkedConnectOptions): net.Socket {
  const opts = checkObject(options, 'options');
  const host = checkIp(opts.host, 'options.host');
  const port = checkInteger(opts.port, 'options.port', 1, 65535);
  const mark = checkInteger(opts.mark, 'options.mark', 0, 0xffffffff);
  let localAddress: string | null = null;
  if (opts.localAddress !== undefined) {
    const local = checkIp(opts.localAddress, 'options.localAddress');
    if (local.family !== host.family) {
      throw invalidValue('options.localAddress', local.text, `is IPv${local.family} but options.host is IPv${host.family}`);
    }
    localAddress = local.text;
  }
  const localPort = opts.localPort === undefined ? 0 : checkInteger(opts.localPort, 'options.localPort', 0, 65535);
  if (localPort !== 0 && localAddress === null) throw invalidValue('options.localPort', localPort, 'needs options.localAddress');
  const transparent = opts.transparent === undefined ? false : checkBoolean(opts.transparent, 'options.transparent');
  const allowHalfOpen = opts.allowHalfOpen === undefined ? false : checkBoolean(opts.allowHalfOpen, 'options.allowHalfOpen');

  const fd = addon.createOutgoingSocket(host.family, mark, transparent, localAddress, localPort);
  let socket: net.Socket;
  try {
    socket = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  // Same tick as the constructor: Node's connect() reuses the handle (and so our fd) as it is.
  const handle = handleOf(socket);
  socket.connect({ host: host.text, port });
  if (handleOf(socket) !== handle) {
    // A Node that made its own socket here would send the SYN unmarked; refuse rather than loop.
    socket.destroy();
    throw Object.assign(new Error('connectMarked: net.Socket#connect replaced the prepared socket'), { code: 'ERR_SOCKET_REPLACED' });
  }
  return socket;
}

/** The SO_MARK of an open socket (0 when unmarked). */
export function getSocketMark(socket: net.Socket): number {
  return addon.getSocketMark(socketFd(socket, 'socket'));
}

/**
 * Sets SO_MARK on an open socket (e.g. an accepted one). It applies to packets sent from now on;
 * to mark a connection's SYN use {@link connectMarked}. Needs CAP_NET_ADMIN or CAP_NET_RAW.
 */
export function setSocketMark(socket: net.Socket, mark: number): void {
  addon.setSocketMark(socketFd(socket, 'socket'), checkInteger(mark, 'mark', 0, 0xffffffff));
}

/**
 * Makes the kernel send `signal` to this process when the process that started it exits, so a
 * child never outlives its parent (`prctl(PR_SET_PDEATHSIG)`). Call it after the last credential
 * change (setuid, capabilities), which would clear it. When the parent is already gone (it is no
 * longer `parentPid`), the signal is sent at once.
 *
 * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for a signal name Node does not know.
 */
export function exitWithParent(signal: NodeJS.Signals = 'SIGKILL', parentPid: number = process.ppid): void {
  const number = (osConstants.signals as Record<string, number | undefined>)[signal];
  if (typeof signal !== 'string' || number === undefined) throw invalidValue('signal', signal, 'must be a signal name such as "SIGKILL"');
  checkInteger(parentPid, 'parentPid', 1, 0x7fffffff);
  if (addon.setParentDeathSignal(number) !== parentPid) process.kill(process.pid, signal);
}

/** How a natively relayed connection ended (the values of core's `RelayClose`). */
export type NativeRelayClose = 'fin' | 'client_reset' | 'upstream_reset' | 'idle_timeout' | 'local' | 'drain';

export interface NativeRelayOptions {
  /** Close both sides after this long with no byte in either direction (checked every 100 ms). 0 disables. */
  idleTimeoutMs: number;
  /** Bytes already read from the client that go upstream first. */
  clientHead?: Buffer;
  /** Bytes already read from the upstream that go to the client first. */
  upstreamHead?: Buffer;
}

export interface NativeRelayResult {
  /** Bytes written upstream (client head and bytes Node had buffered included). */
  fromClient: number;
  /** Bytes written to the client (upstream head included). */
  toClient: number;
  close: NativeRelayClose;
  /** When the relay read the first upstream byte, in ms after it started (undefined when none came). */
  firstUpstreamByteAfterMs?: number;
}

interface LiveRelay {
  client: net.Socket;
  upstream: net.Socket;
  done: (result: NativeRelayResult) => void;
}

const liveRelays = new Map<number, LiveRelay>();
let relayThreadStarted = false;

/** Runs on the JS thread when the C side finished relay `id`: its fds are out of the relay's epoll set. */
function onRelayDone(id: number, fromClient: number, toClient: number, close: NativeRelayClose, firstUpstreamByteMs: number): void {
  const live = liveRelays.get(id);
  if (!live) return;
  liveRelays.delete(id);
  const result: NativeRelayResult = { fromClient, toClient, close, ...(firstUpstreamByteMs >= 0 ? { firstUpstreamByteAfterMs: firstUpstreamByteMs } : {}) };
  // Closing is JavaScript's: destroy() closes each fd (an RST where the relay armed SO_LINGER 0).
  let open = 2;
  const closed = (): void => {
    if (--open === 0) live.done(result);
  };
  for (const s of [live.client, live.upstream]) {
    if (s.closed) closed();
    else {
      s.once('close', closed);
      s.destroy();
    }
  }
}

/**
 * Whether {@link relaySockets} can take these sockets: both are open TCP sockets with an fd and
 * nothing queued for writing in Node (what Node has already read is handed over as a head).
 */
export function canRelaySockets(client: net.Socket, upstream: net.Socket): boolean {
  for (const s of [client, upstream]) {
    if (!(s instanceof net.Socket) || s.destroyed || s.connecting || s.writableLength > 0) return false;
    const fd = handleOf(s)?.fd;
    if (typeof fd !== 'number' || fd < 0) return false;
  }
  return true;
}

/** Takes the socket away from Node's reading; returns what Node had already read (or null). */
function detach(socket: net.Socket): Buffer | null {
  socket.pause();
  // Read what Node buffered before reading stops: read() may start the handle reading again.
  const buffered = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  // Node would start reading again on its own: a read(0) queued for the next tick (maybeReadMore,
  // e.g. when this runs inside a 'data' handler) calls _read, which calls readStart. Nothing may
  // read this socket in Node any more, so its _read does nothing from here on.
  (socket as unknown as { _read: () => void })._read = () => {};
  const handle = handleOf(socket) as { reading?: boolean; readStop?: () => number } | null | undefined;
  if (handle) {
    handle.reading = false;
    handle.readStop?.();
  }
  socket.setTimeout(0);
  return buffered;
}

const joined = (a: Buffer | undefined, b: Buffer | null): Buffer | null => (a?.length ? (b?.length ? Buffer.concat([a, b]) : a) : b?.length ? b : null);

/**
 * Relays bytes both ways between two connected TCP sockets in C: Node stops reading both; the
 * addon's thread polls their fds with epoll and moves bytes with read()/send() for small messages
 * and splice() through a pipe pair once a read fills its 16 KiB buffer, with no JavaScript per
 * chunk. It keeps the relay contract: backpressure both ways (a side is read only when the other
 * took its bytes), half-close (a FIN is passed on as shutdown(SHUT_WR)), an RST or error on one side
 * becomes an RST on the other, the idle timeout over both directions, byte counts, and `done`
 * exactly once, after both sockets are closed (this wrapper destroys them when the relay ends).
 * Check {@link canRelaySockets} first. Both sockets should have `allowHalfOpen: true`.
 *
 * @throws TypeError (`ERR_INVALID_ARG_VALUE`) when the sockets cannot be taken (see canRelaySockets).
 */
export function relaySockets(client: net.Socket, upstream: net.Socket, options: NativeRelayOptions, done: (result: NativeRelayResult) => void): { abort(reason: 'local' | 'drain'): void } {
  if (!canRelaySockets(client, upstream)) throw invalidValue('client/upstream', client, 'must be open, connected TCP sockets with nothing queued for writing');
  const idle = checkInteger(options.idleTimeoutMs, 'options.idleTimeoutMs', 0, 0xffffffff);
  if (!relayThreadStarted) {
    addon.relayInit(onRelayDone);
    relayThreadStarted = true;
  }
  const clientHead = joined(options.clientHead, detach(client));
  const upstreamHead = joined(options.upstreamHead, detach(upstream));
  const id = addon.relayStart(socketFd(client, 'client'), socketFd(upstream, 'upstream'), idle, clientHead, upstreamHead);
  liveRelays.set(id, { client, upstream, done });
  return {
    abort(reason) {
      if (liveRelays.has(id)) addon.relayAbort(id, reason === 'drain');
    },
  };
}

/** Relays running in C now (for stats). */
export function nativeRelaysActive(): number {
  return liveRelays.size;
}

// ---- argument checks: every message names the argument and what it got ----

type CodedTypeError = TypeError & { code: string };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `string '${value}'`;
  return `${typeof value} ${String(value)}`;
}

function invalidType(name: string, expected: string, value: unknown): CodedTypeError {
  return Object.assign(new TypeError(`${name} must be ${expected}, got ${describe(value)}`), { code: 'ERR_INVALID_ARG_TYPE' });
}

function invalidValue(name: string, value: unknown, problem: string): CodedTypeError {
  return Object.assign(new TypeError(`${name} ${problem} (got ${describe(value)})`), { code: 'ERR_INVALID_ARG_VALUE' });
}

function checkObject<T extends object>(value: T, name: string): T {
  if (typeof value !== 'object' || value === null) throw invalidType(name, 'an object', value);
  return value;
}

function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidValue(name, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

function checkFamily(value: unknown, name: string): 4 | 6 {
  if (value !== 4 && value !== 6) throw invalidValue(name, value, 'must be 4 or 6');
  return value;
}

function checkIp(value: unknown, name: string): { text: string; family: 4 | 6 } {
  if (typeof value !== 'string') throw invalidType(name, 'an IP address string', value);
  const family = net.isIP(value);
  if (family === 0 || value.includes('%')) throw invalidValue(name, value, 'must be an IPv4 or IPv6 address (no hostnames, no zone)');
  return { text: value, family: family as 4 | 6 };
}

/** Node's libuv handle behind a net.Socket (`_handle`, undocumented but stable since Node 0.x). */
function handleOf(socket: net.Socket): { fd?: unknown } | null | undefined {
  return (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
}

/** The fd under a net.Socket (TCP or pipe handle); what every socket-taking function reads. */
function socketFd(socket: net.Socket, name: string): number {
  if (!(socket instanceof net.Socket)) throw invalidType(name, 'a net.Socket', socket);
  const fd = handleOf(socket)?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw Object.assign(new Error(`${name} has no open file descriptor (it is closed or was never connected)`), {
      code: 'ERR_SOCKET_CLOSED',
    });
  }
  return fd;
}
