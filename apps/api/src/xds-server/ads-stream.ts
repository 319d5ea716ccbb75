import { createHash } from 'node:crypto';
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { isWildcardType, isXdsType, XDS_PUSH_ORDER, XDS_TYPE_NAMES, type DiscoveryRequest, type EncodedDiscoveryResponse, type XdsTypeUrl } from '@meshcap/core';
import type { DataplaneStatus, DataplaneStatuses } from '../channel/dataplane-status.ts';
import { describeError } from '../catalog/dataplane-registration.ts';
import { XdsRefusal, type XdsClientIdentity } from './node-identity.ts';
import type { EncodedResource, PreparedSnapshot } from './snapshot-cache.ts';

/** What the client said about one resource type on this stream, and what it was sent. */
interface TypeState {
  /** Subscribed names; undefined: all (the LDS/CDS wildcard). */
  names: ReadonlySet<string> | undefined;
  /** Nonce of the last response: only a request carrying it answers that response (older ones are stale). */
  nonce?: string;
  /** Version and content of the last response. */
  sentVersion?: string;
  sentHash?: string;
  /** A response is out and not yet ACKed or NACKed. */
  pending: boolean;
}

export interface AdsCounters {
  streams: number;
  streamsRefused: number;
  responses: number;
  acks: number;
  nacks: number;
  staleNonces: number;
  unknownTypes: number;
}

export interface AdsStreamDeps {
  identify(request: DiscoveryRequest, call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse>): Promise<XdsClientIdentity>;
  snapshot(client: XdsClientIdentity): PreparedSnapshot | undefined;
  statuses: DataplaneStatuses;
  counters: AdsCounters;
  /** The stream knows its client: it takes pushes from now on. */
  opened(stream: AdsStream): void;
  closed(stream: AdsStream): void;
  log(level: 'info' | 'warn', message: string): void;
}

function sameNames(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}

function contentHash(resources: readonly EncodedResource[]): string {
  const h = createHash('sha1');
  for (const r of resources) h.update(r.hash);
  return h.digest('base64');
}

/**
 * One StreamAggregatedResources call, state of the world, as Envoy's xDS protocol defines it:
 * the first request names the node (and proves it with its token); each type's first request,
 * and each change of its subscribed names, gets a response; a request carrying the latest nonce
 * ACKs it (or NACKs it with `error_detail`: the client keeps its last good config, and the
 * status shows the message); a request with an older nonce is stale and ignored; a new version
 * is pushed to every subscribed type in Envoy's order (CDS, EDS, LDS, RDS), and only where the
 * type's content changed. A NACKed content is not sent again until it changes.
 */
export class AdsStream {
  client: XdsClientIdentity | undefined;
  private readonly types = new Map<XdsTypeUrl, TypeState>();
  private queue: Promise<void> = Promise.resolve();
  private nonceSeq = 0;
  private ended = false;

  constructor(
    private readonly call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse>,
    private readonly deps: AdsStreamDeps,
  ) {
    call.on('data', (req: DiscoveryRequest) => {
      // Requests are handled one at a time, in order: the first one identifies the client asynchronously.
      this.queue = this.queue.then(() => this.onRequest(req)).catch((err: unknown) => this.fail(err));
    });
    call.on('end', () => this.end());
    call.on('error', () => this.end());
    call.on('cancelled', () => this.end());
  }

  get key(): string | undefined {
    return this.client && `${this.client.mesh}/${this.client.name}`;
  }

  private status(): DataplaneStatus {
    return this.deps.statuses.seen(this.key!);
  }

  private async onRequest(req: DiscoveryRequest): Promise<void> {
    if (this.ended) return;
    if (!this.client) {
      this.client = await this.deps.identify(req, this.call);
      if (this.ended) return;
      const s = this.status();
      s.xdsStreams++;
      s.configSource = 'xds';
      s.remote = this.call.getPeer();
      this.deps.counters.streams++;
      this.deps.opened(this);
      this.deps.log('info', `xDS stream from ${this.key} (${this.client.proxyType}, ${this.call.getPeer()})`);
    }
    this.status();
    const type = req.type_url;
    if (!isXdsType(type)) {
      // Envoy may ask for types meshcap does not serve (SDS before mTLS): it gets nothing, as from a server without them.
      this.deps.counters.unknownTypes++;
      return;
    }
    let t = this.types.get(type);
    if (!t) {
      t = { names: undefined, pending: false };
      this.types.set(type, t);
    }
    if (req.response_nonce) {
      if (req.response_nonce !== t.nonce) {
        this.deps.counters.staleNonces++;
        return;
      }
      t.pending = false;
      if (req.error_detail) this.onNack(type, t, req);
      else this.onAck(t, req);
    }
    const requested = req.resource_names ?? [];
    const names = isWildcardType(type) && (requested.length === 0 || requested.includes('*')) ? undefined : new Set(requested.filter((n) => n !== '*'));
    const changed = !sameNames(t.names, names);
    t.names = names;
    if (!req.response_nonce || changed) this.send(type, t, true);
  }

  private onAck(t: TypeState, req: DiscoveryRequest): void {
    this.deps.counters.acks++;
    const s = this.status();
    if ([...this.types.values()].some((x) => x.pending)) return;
    // Every type answered: the client runs this version.
    const version = req.version_info ?? t.sentVersion ?? null;
    if (version !== s.configVersion) s.totalUpdates++;
    s.configVersion = version;
    s.pendingVersion = null;
  }

  private onNack(type: XdsTypeUrl, t: TypeState, req: DiscoveryRequest): void {
    this.deps.counters.nacks++;
    const s = this.status();
    s.totalNacks++;
    if (![...this.types.values()].some((x) => x.pending)) s.pendingVersion = null;
    const message = req.error_detail?.message || `(no message, code ${req.error_detail?.code ?? 'unknown'})`;
    this.deps.statuses.addError(this.key!, `${XDS_TYPE_NAMES[type]} version ${t.sentVersion ?? '?'} refused: ${message}`, t.sentVersion);
    this.deps.log('warn', `dataplane ${this.key} refused ${XDS_TYPE_NAMES[type]} version ${t.sentVersion ?? '?'}: ${message}`);
  }

  /** The client's snapshot changed: sends each subscribed type whose content did, in push order. */
  push(): void {
    if (this.ended || !this.client) return;
    for (const type of XDS_PUSH_ORDER) {
      const t = this.types.get(type);
      if (t) this.send(type, t, false);
    }
  }

  private send(type: XdsTypeUrl, t: TypeState, force: boolean): void {
    let snapshot: PreparedSnapshot | undefined;
    try {
      snapshot = this.deps.snapshot(this.client!);
    } catch (err) {
      this.deps.statuses.addError(this.key!, `cannot build the xDS resources: ${describeError(err)}`);
      return;
    }
    if (!snapshot) return;
    const all = snapshot.byType.get(type) ?? [];
    const names = t.names;
    const resources = names === undefined ? all : all.filter((r) => names.has(r.name));
    const hash = contentHash(resources);
    if (!force && hash === t.sentHash) return;
    const nonce = String(++this.nonceSeq);
    t.nonce = nonce;
    t.sentVersion = snapshot.version;
    t.sentHash = hash;
    t.pending = true;
    this.status().pendingVersion = snapshot.version;
    this.deps.counters.responses++;
    this.call.write({ version_info: snapshot.version, type_url: type, nonce, resources: resources.map((r) => r.bytes) });
  }

  /** Ends the stream with a gRPC status (token revoked, dataplane deleted, refused identity). */
  close(code: GrpcStatus, details: string): void {
    if (this.ended) return;
    this.call.emit('error', { code, details });
    this.end();
  }

  private fail(err: unknown): void {
    if (err instanceof XdsRefusal) {
      this.deps.counters.streamsRefused++;
      if (this.key) this.deps.statuses.addError(this.key, `xDS stream refused: ${err.message}`);
      this.deps.log('warn', `xDS stream from ${this.call.getPeer()} refused: ${err.message}`);
      this.close(err.grpcCode, err.message);
      return;
    }
    this.deps.log('warn', `xDS stream from ${this.key ?? this.call.getPeer()} failed: ${describeError(err)}`);
    this.close(GrpcStatus.INTERNAL, describeError(err));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.client) {
      const s = this.deps.statuses.mutable(this.key!);
      s.xdsStreams = Math.max(0, s.xdsStreams - 1);
      if (s.xdsStreams === 0) s.pendingVersion = null;
      this.deps.closed(this);
    }
    try {
      this.call.end();
    } catch {
      // already closed by the client
    }
  }
}
