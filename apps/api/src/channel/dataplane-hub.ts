import { errorRegistry, MeshcapError, type ChangeResult, type FlowRecord, type MeshcapErrorCode } from '@meshcap/core';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DataplaneIdentity, DataplaneTokens } from '../auth/index.ts';
import { bearerToken } from '../auth/index.ts';
import type { MeshCatalog } from '../catalog/index.ts';
import { registerDataplane, RegistrationRefused } from '../catalog/dataplane-registration.ts';
import type { FlowHub } from '../flows/flow-hub.ts';
import { DataplaneStatuses, type DataplaneStatus } from './dataplane-status.ts';
import { LineChannel, CHANNEL_PATH, CHANNEL_PROTOCOL, DEFAULT_HEARTBEAT_MS, checkFlowRecord, dpMessage, flowRecordIssue, type CpMessage, type DpMessage, type RequestKind } from '@meshcap/dataplane';

const HELLO_TIMEOUT_MS = 10_000;

interface PendingRequest {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class Session {
  readonly pending = new Map<number, PendingRequest>();
  nextRequestId = 1;
  instance = '';
  heartbeat: NodeJS.Timeout | undefined;

  constructor(
    readonly identity: DataplaneIdentity,
    readonly channel: LineChannel<DpMessage, CpMessage>,
  ) {}

  get key(): string {
    return `${this.identity.mesh}/${this.identity.name}`;
  }
}

function httpReject(socket: Duplex, status: number, code: MeshcapErrorCode, message: string): void {
  const body = JSON.stringify({ code, message, issues: [] });
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * The control plane's end of the dataplane channel: authenticates each dataplane by its token,
 * registers its Dataplane resource, takes flow batches, and forwards inspect requests (rules,
 * stats, config_dump) to it. Configs go over ADS (the xDS server), which shares `statuses`.
 */
export class DataplaneHub {
  private readonly sessions = new Map<string, Session>();
  /** Shared with the ADS server, which records config versions, ACKs and NACKs of dataplanes on xDS. */
  readonly statuses: DataplaneStatuses;
  /** Per dataplane: its process instance and the last flow batch stored, kept across reconnects to drop resent batches. */
  private readonly flowSeqs = new Map<string, { instance: string; lastSeq: number }>();
  private readonly unsubscribe: () => void;
  private closed = false;
  readonly counters = { flowBatches: 0, flowsRejected: 0, duplicateBatches: 0, connections: 0, rejectedConnections: 0 };

  constructor(
    private readonly deps: {
      catalog: MeshCatalog;
      tokens: DataplaneTokens;
      flows: FlowHub;
      heartbeatMs?: number;
      statuses?: DataplaneStatuses;
      log?: (level: 'info' | 'warn', message: string) => void;
    },
  ) {
    this.statuses = deps.statuses ?? new DataplaneStatuses();
    this.unsubscribe = deps.catalog.compiler.onChange((result) => this.onConfigChange(result));
  }

  private get heartbeatMs(): number {
    return this.deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  private log(level: 'info' | 'warn', message: string): void {
    this.deps.log?.(level, message);
  }

  // ---- status ------------------------------------------------------------------------------

  status(mesh: string, name: string): DataplaneStatus {
    return this.statuses.get(mesh, name);
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  private mutableStatus(key: string): DataplaneStatus {
    return this.statuses.mutable(key);
  }

  private addError(key: string, message: string, version?: string): void {
    this.statuses.addError(key, message, version);
  }

  // ---- connections -------------------------------------------------------------------------

  /** Handles an HTTP Upgrade request; answers anything that is not the channel with 404. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== CHANNEL_PATH || (req.headers.upgrade ?? '').toLowerCase() !== CHANNEL_PROTOCOL) {
      httpReject(socket, 404, 'MESHCAP_ERR_NOT_FOUND', `no upgrade to "${req.headers.upgrade ?? ''}" at ${path}; dataplanes use ${CHANNEL_PROTOCOL} at ${CHANNEL_PATH}`);
      return;
    }
    if (this.closed) {
      httpReject(socket, 404, 'MESHCAP_ERR_NOT_FOUND', 'the control plane is shutting down');
      return;
    }
    const token = bearerToken(req.headers.authorization);
    const identity = token ? await this.deps.tokens.verify(token).catch(() => undefined) : undefined;
    if (!identity) {
      this.counters.rejectedConnections++;
      httpReject(socket, 401, 'MESHCAP_ERR_UNAUTHORIZED', token ? 'the dataplane token is not valid (unknown, revoked or malformed)' : 'a dataplane token is required (Authorization: Bearer …)');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${CHANNEL_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
    if (head.length) socket.unshift(head);
    const remote = req.socket.remoteAddress ?? 'unix';
    let session: Session | undefined;
    const channel = new LineChannel<DpMessage, CpMessage>(socket, dpMessage, (msg) => {
      if (!session) {
        if (msg.type !== 'hello') {
          channel.send({ type: 'error', code: 'MESHCAP_ERR_INVALID_REQUEST', message: 'the first message must be "hello"' });
          channel.close('no hello');
          return;
        }
        clearTimeout(helloTimer);
        void this.onHello(identity, channel, msg, remote).then((s) => (session = s));
        return;
      }
      this.onMessage(session, msg);
    });
    const helloTimer = setTimeout(() => channel.close('no hello in time'), HELLO_TIMEOUT_MS);
    channel.onClose((reason) => {
      clearTimeout(helloTimer);
      if (session) this.onSessionClosed(session, reason);
      else if (reason.startsWith('protocol error')) this.log('warn', `dataplane channel from ${identity.mesh}/${identity.name} refused: ${reason}`);
    });
  }

  private async onHello(identity: DataplaneIdentity, channel: LineChannel<DpMessage, CpMessage>, hello: Extract<DpMessage, { type: 'hello' }>, remote: string): Promise<Session | undefined> {
    const key = `${identity.mesh}/${identity.name}`;
    const refuse = (code: MeshcapErrorCode, message: string): undefined => {
      this.counters.rejectedConnections++;
      this.addError(key, message);
      channel.send({ type: 'error', code, message });
      channel.close(message);
      return undefined;
    };
    try {
      await registerDataplane(this.deps.catalog, identity, hello.dataplane, 'hello');
    } catch (err) {
      if (err instanceof RegistrationRefused) return refuse(err.code, err.message);
      throw err;
    }
    if (channel.isClosed) return undefined;
    const session = new Session(identity, channel);
    session.instance = hello.instance;
    if (this.flowSeqs.get(key)?.instance !== hello.instance) this.flowSeqs.set(key, { instance: hello.instance, lastSeq: -1 });
    const previous = this.sessions.get(key);
    if (previous) previous.channel.close('replaced by a new connection of the same dataplane');
    this.sessions.set(key, session);
    this.counters.connections++;
    const status = this.mutableStatus(key);
    const now = new Date().toISOString();
    Object.assign(status, { connected: true, connectedAt: now, lastSeen: now, remote });
    channel.send({ type: 'welcome', mesh: identity.mesh, name: identity.name, heartbeatMs: this.heartbeatMs });
    session.heartbeat = setInterval(() => this.beat(session), this.heartbeatMs);
    session.heartbeat.unref();
    this.log('info', `dataplane ${key} connected (${remote})`);
    return session;
  }

  private beat(session: Session): void {
    const last = Date.parse(this.status(session.identity.mesh, session.identity.name).lastSeen ?? '') || 0;
    if (Date.now() - last > 3 * this.heartbeatMs) {
      session.channel.close(`no message for ${Math.round((Date.now() - last) / 1000)} s`);
      return;
    }
    session.channel.send({ type: 'ping' });
  }

  private onSessionClosed(session: Session, reason: string): void {
    clearInterval(session.heartbeat);
    for (const [, p] of session.pending) {
      clearTimeout(p.timer);
      p.reject(new MeshcapError('MESHCAP_ERR_DATAPLANE_UNAVAILABLE', `dataplane ${session.key} disconnected (${reason})`));
    }
    session.pending.clear();
    if (this.sessions.get(session.key) !== session) return; // replaced by a newer connection
    this.sessions.delete(session.key);
    const status = this.mutableStatus(session.key);
    status.connected = false;
    this.log('info', `dataplane ${session.key} disconnected: ${reason}`);
  }

  private onMessage(session: Session, msg: DpMessage): void {
    const status = this.mutableStatus(session.key);
    status.lastSeen = new Date().toISOString();
    switch (msg.type) {
      case 'flows':
        this.onFlows(session, msg);
        return;
      case 'reply': {
        const p = session.pending.get(msg.id);
        if (!p) return;
        session.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.result);
        else {
          const code = msg.error?.code && msg.error.code in errorRegistry ? (msg.error.code as MeshcapErrorCode) : 'MESHCAP_ERR_COMMAND_FAILED';
          p.reject(new MeshcapError(code, `dataplane ${session.key}: ${msg.error?.message ?? 'request failed'}`));
        }
        return;
      }
      case 'ping':
        session.channel.send({ type: 'pong' });
        return;
      case 'pong':
        return;
      case 'hello':
        session.channel.send({ type: 'error', code: 'MESHCAP_ERR_INVALID_REQUEST', message: 'hello was already received' });
        return;
    }
  }

  private onFlows(session: Session, msg: Extract<DpMessage, { type: 'flows' }>): void {
    const seqs = this.flowSeqs.get(session.key);
    if (seqs && msg.seq <= seqs.lastSeq) {
      // A batch sent again after a reconnect that we had already stored.
      this.counters.duplicateBatches++;
      session.channel.send({ type: 'flows-ack', seq: msg.seq });
      return;
    }
    if (seqs) seqs.lastSeq = msg.seq;
    const { mesh, name } = session.identity;
    const flows: FlowRecord[] = [];
    let firstRefused: unknown;
    for (const raw of msg.flows) {
      // The record checked is a copy of the known fields: ours to amend.
      const flow = checkFlowRecord(raw);
      if (!flow) {
        this.counters.flowsRejected++;
        firstRefused ??= raw;
        continue;
      }
      // A dataplane speaks only for itself.
      flow.mesh = mesh;
      flow.dataplane = name;
      flows.push(flow);
    }
    const rejected = msg.flows.length - flows.length;
    if (rejected) this.addError(session.key, `${rejected} malformed flow record(s) in batch ${msg.seq} were dropped (the first: ${flowRecordIssue(firstRefused)})`);
    this.counters.flowBatches++;
    this.deps.flows.ingest({ mesh, dataplane: name }, flows, msg.dropped + rejected);
    session.channel.send({ type: 'flows-ack', seq: msg.seq });
  }

  // ---- config ------------------------------------------------------------------------------

  /** A deleted dataplane's channel is closed (its ADS stream too, by the xDS server). */
  private onConfigChange(result: ChangeResult): void {
    for (const change of result.changes) {
      const session = this.sessions.get(`${change.mesh}/${change.dataplane}`);
      if (!session || change.version) continue;
      session.channel.send({ type: 'error', code: 'MESHCAP_ERR_NOT_FOUND', message: `dataplane ${session.key} was deleted` });
      session.channel.close('dataplane deleted');
    }
  }

  // ---- requests ----------------------------------------------------------------------------

  isConnected(mesh: string, name: string): boolean {
    return this.sessions.has(`${mesh}/${name}`);
  }

  /** Asks a connected dataplane for something it alone knows (its rules, live stats, its own config_dump). */
  request(mesh: string, name: string, what: RequestKind, params: Record<string, unknown> = {}, timeoutMs = 5_000): Promise<unknown> {
    const session = this.sessions.get(`${mesh}/${name}`);
    if (!session) {
      return Promise.reject(new MeshcapError('MESHCAP_ERR_DATAPLANE_UNAVAILABLE', `dataplane "${name}" in mesh "${mesh}" is not connected, so its ${what.replace('_', ' ')} cannot be read`));
    }
    const id = session.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.pending.delete(id);
        reject(new MeshcapError('MESHCAP_ERR_DATAPLANE_TIMEOUT', `dataplane ${session.key} did not answer the ${what} request within ${timeoutMs} ms`));
      }, timeoutMs);
      session.pending.set(id, { resolve, reject, timer });
      session.channel.send({ type: 'request', id, what, params });
    });
  }

  /** Closes the channels opened with a token that was just revoked: it stops working now, not at the next reconnect. */
  disconnectToken(tokenId: string): number {
    let closed = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.identity.tokenId !== tokenId) continue;
      session.channel.send({ type: 'error', code: 'MESHCAP_ERR_UNAUTHORIZED', message: 'the dataplane token was revoked' });
      session.channel.close('token revoked');
      closed++;
    }
    return closed;
  }

  /** Closes every channel (dataplanes reconnect to the next control plane). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const session of [...this.sessions.values()]) session.channel.close('control plane shutting down');
  }
}
