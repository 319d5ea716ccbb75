import { MeshcapError, type FlowRecord } from '@meshcap/core';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isLoopbackHost } from './loopback.ts';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { LineChannel } from './line-channel.ts';
import { CHANNEL_PATH, CHANNEL_PROTOCOL, cpMessage, DEFAULT_HEARTBEAT_MS, type CpMessage, type DpMessage, type RequestKind } from './protocol.ts';

/**
 * What the channel needs from the dataplane engine. `engineFromHandle` (engine-adapter.ts) builds
 * it from `startDataplane`'s handle; tests may give their own.
 */
export interface ChannelEngine {
  /** Calls `listener` for every flow from now on; returns the unsubscribe. */
  subscribeFlows(listener: (flow: FlowRecord) => void): () => void;
  /** Answers the control plane's inspect requests (rules, stats, config_dump, listeners). */
  answer(what: RequestKind, params: Record<string, unknown>): Promise<unknown>;
}

export interface ConnectOptions {
  /**
   * `unix:/run/meshcap/cp.sock` or `http://127.0.0.1:5681`; or several (control plane replicas),
   * tried in turn: when the channel drops or cannot connect, the next one is tried.
   */
  url: string | readonly string[];
  /** The dataplane token (`meshcap generate dataplane-token`). */
  token: string;
  /** For `https://` control planes: the CA their certificate must chain to (the pinned control plane CA). */
  caPem?: string;
  /** This dataplane's `Dataplane` resource; the control plane registers it. */
  dataplane: Record<string, unknown>;
  engine: ChannelEngine;
  /** Flows held while the control plane is away or slow (default 10 000); beyond it the oldest are dropped, and counted. */
  bufferSize?: number;
  /** Flows per batch (default 500) and the longest a flow waits to be sent (default 200 ms). */
  batchSize?: number;
  batchIntervalMs?: number;
  /** Reconnect backoff: starts at `initialMs`, doubles up to `maxMs` (defaults 250 ms and 10 s), with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ChannelStats {
  connected: boolean;
  connects: number;
  flowsSent: number;
  /** Flows waiting to be sent or acknowledged. */
  flowsBuffered: number;
  /** Flows dropped because the buffer was full (reported to the control plane with the next batch). */
  flowsDropped: number;
  lastError: string | null;
  /** The control plane URL of the current (or last) connection. */
  controlPlane: string;
}

export interface ControlPlaneConnection {
  stats(): ChannelStats;
  /** Resolves once connected and welcomed (rejects after `timeoutMs`). */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Sends what it can of the buffer (up to `flushMs`), then closes for good. */
  close(opts?: { flushMs?: number }): Promise<void>;
}

interface Batch {
  seq: number;
  /** Each flow's JSON, made when it was published: held until acknowledged, a flat string is no object graph for the GC to promote and walk. */
  flows: string[];
  dropped: number;
}

/** A `flows` message line, from its flows' JSON as they were kept. */
function flowsLine(batch: Batch): string {
  return `{"type":"flows","seq":${batch.seq},"flows":[${batch.flows.join(',')}],"dropped":${batch.dropped}}`;
}

type Target = { socketPath: string } | { host: string; port: number; tls: boolean };

export function parseControlPlaneUrl(url: string): Target {
  if (url.startsWith('unix:')) {
    const socketPath = url.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (!socketPath) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--cp: "${url}" names no socket path (unix:/run/meshcap/cp.sock)`);
    return { socketPath };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--cp: "${url}" is not a control plane address (unix:/run/meshcap/cp.sock, http://127.0.0.1:5681 or https://cp.example:5681)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--cp: "${url}": only https://, http:// (loopback) and unix: are supported`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // The channel carries the dataplane token: in the clear only where nothing off this host sees it.
  if (u.protocol === 'http:' && !isLoopbackHost(host)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--cp: "${url}": plaintext is only for loopback and Unix sockets; use https:// for a control plane on another host`);
  }
  const tls = u.protocol === 'https:';
  return { host, port: Number(u.port || (tls ? 443 : 80)), tls };
}

/**
 * The dataplane's end of the channel (see protocol.ts): registers, streams flow batches, answers
 * inspect requests; reconnects with backoff. While the control plane is away flows wait in a
 * bounded buffer; batches the control plane did not acknowledge are sent again after a reconnect.
 * (The config comes over ADS: `attachToControlPlane` in dp-control-plane.ts runs both.)
 *
 * `meshcap dp` calls it as:
 *   const engine = engineFromHandle(handle, { rules: () => readLiveRuleset() });
 *   const cp = connectControlPlane({ url: flags.cp, token, dataplane: file.dataplane, engine });
 *   …on SIGTERM: await cp.close(); await handle.stop();
 */
export function connectControlPlane(options: ConnectOptions): ControlPlaneConnection {
  const urls = typeof options.url === 'string' ? [options.url] : [...options.url];
  if (urls.length === 0) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', '--cp: no control plane address');
  const targets = urls.map(parseControlPlaneUrl);
  let targetIndex = 0;
  /** Failed attempts so far: which of a host name's addresses the next connection takes. */
  let addressTurn = 0;
  // A name with several addresses (one DNS name for the replicas) is tried address by address,
  // not always at the first one the resolver returns.
  const lookup: LookupFunction = (hostname, opts, callback) => {
    dns.lookup(hostname, { all: true, family: opts.family, hints: opts.hints }, (err, addresses) => {
      const pick = addresses?.[addressTurn % Math.max(1, addresses.length)];
      if (err || !pick) return callback(err ?? Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 0);
      if (opts.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [pick]);
      else callback(null, pick.address, pick.family);
    });
  };
  const bufferSize = options.bufferSize ?? 10_000;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, 10_000));
  const batchIntervalMs = options.batchIntervalMs ?? 200;
  const initialBackoff = options.backoff?.initialMs ?? 250;
  const maxBackoff = options.backoff?.maxMs ?? 10_000;
  const log = options.log ?? (() => {});
  const instance = randomBytes(8).toString('hex');

  let channel: LineChannel<CpMessage, DpMessage> | undefined;
  let welcomed = false;
  let closed = false;
  let backoff = initialBackoff;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let silenceTimer: NodeJS.Timeout | undefined;
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;
  let lastHeard = 0;
  let refusal: string | undefined;
  const waiters: Array<() => void> = [];

  // Flows: `pending` not yet batched, `inFlight` sent and not acknowledged (sent again after a reconnect).
  let pending: string[] = [];
  const inFlight = new Map<number, Batch>();
  let inFlightFlows = 0;
  let nextSeq = 0;
  let droppedUnreported = 0;
  const stats: ChannelStats = { connected: false, connects: 0, flowsSent: 0, flowsBuffered: 0, flowsDropped: 0, lastError: null, controlPlane: urls[0]! };

  const unsubscribe = options.engine.subscribeFlows((flow) => {
    if (closed) return;
    pending.push(JSON.stringify(flow));
    if (pending.length + inFlightFlows > bufferSize) {
      // Bounded: the oldest unsent flow goes, and the loss is counted and reported.
      pending.shift();
      droppedUnreported++;
      stats.flowsDropped++;
    }
    if (pending.length >= batchSize) flush();
  });
  const batchTimer = setInterval(() => flush(), batchIntervalMs);
  batchTimer.unref();

  function flush(): void {
    if (!channel || !welcomed || channel.isClosed) return;
    // Do not pile up more than a few unacknowledged batches on a slow control plane.
    while (pending.length > 0 && inFlight.size < 8 && channel.pendingBytes < 4 * 1024 * 1024) {
      const flows = pending.slice(0, batchSize);
      pending = pending.slice(flows.length);
      const batch: Batch = { seq: nextSeq++, flows, dropped: droppedUnreported };
      droppedUnreported = 0;
      inFlight.set(batch.seq, batch);
      inFlightFlows += flows.length;
      channel.sendLine(flowsLine(batch));
    }
  }

  function setConnected(value: boolean): void {
    stats.connected = value;
    if (value) for (const w of waiters.splice(0)) w();
  }

  function onMessage(ch: LineChannel<CpMessage, DpMessage>, msg: CpMessage): void {
    lastHeard = Date.now();
    switch (msg.type) {
      case 'welcome':
        welcomed = true;
        heartbeatMs = msg.heartbeatMs;
        backoff = initialBackoff;
        stats.connects++;
        stats.lastError = null;
        setConnected(true);
        log('info', `connected to the control plane as ${msg.mesh}/${msg.name}`);
        // Batches the previous control plane connection did not acknowledge go first, in order.
        for (const batch of inFlight.values()) ch.sendLine(flowsLine(batch));
        flush();
        return;
      case 'error':
        // Kept as the reason of the close that follows, so it shows in stats().lastError.
        refusal = `${msg.code}: ${msg.message}`;
        log('error', `control plane: ${msg.message} (${msg.code})`);
        return;
      case 'flows-ack': {
        const batch = inFlight.get(msg.seq);
        if (batch) {
          inFlight.delete(msg.seq);
          inFlightFlows -= batch.flows.length;
          stats.flowsSent += batch.flows.length;
        }
        flush();
        return;
      }
      case 'request':
        options.engine.answer(msg.what, msg.params ?? {}).then(
          (result) => ch.send({ type: 'reply', id: msg.id, ok: true, result }),
          (err: unknown) => {
            const e = err as { code?: unknown; message?: string };
            ch.send({ type: 'reply', id: msg.id, ok: false, error: { code: typeof e.code === 'string' ? e.code : 'MESHCAP_ERR_INTERNAL', message: e.message ?? String(err) } });
          },
        );
        return;
      case 'ping':
        ch.send({ type: 'pong' });
        return;
      case 'pong':
        return;
    }
  }

  function scheduleReconnect(why: string): void {
    const reason = refusal ?? why;
    refusal = undefined;
    channel = undefined;
    welcomed = false;
    setConnected(false);
    clearInterval(silenceTimer);
    if (closed) return;
    stats.lastError = reason;
    // This replica is gone or refused us: the next one, if there are several (URLs, or addresses of one name).
    targetIndex = (targetIndex + 1) % targets.length;
    addressTurn++;
    const delay = Math.round(backoff * (0.5 + Math.random() / 2));
    log('warn', `control plane unreachable (${reason}); retrying in ${delay} ms`);
    backoff = Math.min(backoff * 2, maxBackoff);
    reconnectTimer = setTimeout(connect, delay);
  }

  function connect(): void {
    if (closed) return;
    const target = targets[targetIndex]!;
    stats.controlPlane = urls[targetIndex]!;
    const tls = 'tls' in target && target.tls;
    const req = (tls ? https : http).request({
      ...('socketPath' in target ? { socketPath: target.socketPath } : { host: target.host, port: target.port, ...(isIP(target.host) ? {} : { lookup }) }),
      ...(tls ? { ca: options.caPem, servername: isIP(target.host) ? undefined : target.host } : {}),
      path: CHANNEL_PATH,
      method: 'GET',
      headers: { connection: 'Upgrade', upgrade: CHANNEL_PROTOCOL, authorization: `Bearer ${options.token}`, host: 'host' in target ? target.host : 'localhost' },
      timeout: 10_000,
    });
    req.on('upgrade', (_res, socket: Duplex, head: Buffer) => {
      if (closed) {
        socket.destroy();
        return;
      }
      const ch = new LineChannel<CpMessage, DpMessage>(socket, cpMessage, (msg) => onMessage(ch, msg));
      if (head.length) socket.unshift(head);
      channel = ch;
      lastHeard = Date.now();
      ch.onClose((reason) => {
        if (channel === ch) scheduleReconnect(reason);
      });
      ch.send({ type: 'hello', dataplane: options.dataplane, instance });
      silenceTimer = setInterval(() => {
        if (Date.now() - lastHeard > 3 * heartbeatMs) ch.close(`no message from the control plane for ${Math.round((Date.now() - lastHeard) / 1000)} s`);
      }, 1_000);
      silenceTimer.unref();
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 4096 ? (body += d) : undefined));
      res.on('end', () => {
        let message = `HTTP ${res.statusCode}`;
        try {
          const parsed = JSON.parse(body) as { message?: string; code?: string };
          if (parsed.message) message = `${parsed.message} (${parsed.code ?? res.statusCode})`;
        } catch {
          // not JSON: keep the status
        }
        scheduleReconnect(`refused: ${message}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => scheduleReconnect((err as NodeJS.ErrnoException).code ?? err.message));
    req.end();
  }

  connect();

  return {
    stats: () => ({ ...stats, flowsBuffered: pending.length + inFlightFlows }),
    waitConnected(timeoutMs = 10_000) {
      if (stats.connected) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not connected to the control plane after ${timeoutMs} ms (${stats.lastError ?? 'no answer'})`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close(opts = {}) {
      if (closed) return;
      flush();
      const deadline = Date.now() + (opts.flushMs ?? 1_000);
      while (stats.connected && (inFlight.size > 0 || pending.length > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        flush();
      }
      closed = true;
      unsubscribe();
      clearInterval(batchTimer);
      clearTimeout(reconnectTimer);
      clearInterval(silenceTimer);
      channel?.close('dataplane stopping');
      setConnected(false);
    },
  };
}
