import type * as GrpcJs from '@grpc/grpc-js';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { isMeshcapError, formatIssue, MeshcapError } from '../errors.ts';
import {
  ADS_METHOD_PATH,
  decodeDiscoveryResponse,
  isXdsType,
  resourceSetField,
  XDS_TYPE_NAMES,
  XDS_TYPES,
  xdsResourceName,
  type DiscoveryRequest,
  type ReceivedDiscoveryResponse,
  type XdsNode,
  type XdsTypeUrl,
} from './ads-protocol.ts';
import type { EnvoyAny, EnvoyMessage } from './envoy-json.ts';
import type { EnvoyProtoJsonCodec } from './proto-json.ts';
import type { XdsResourceSet } from './resource-set.ts';
import { sdsNamesOf } from '../mtls/envoy.ts';

/**
 * The dataplane's end of ADS (state of the world), as Envoy behaves: subscribes to every
 * Listener and Cluster, then by name to the RouteConfigurations the listeners' `rds` and the
 * ClusterLoadAssignments the EDS clusters name; applies a set only once it is complete (nothing
 * referenced is missing), ACKs what it applied and NACKs what it could not (with the reason,
 * keeping the last good set); reconnects with backoff, telling the server the versions it runs.
 */

export interface AdsClientOptions {
  /**
   * gRPC target: `127.0.0.1:5678` or `unix:/run/meshcap/xds.sock`; or several (control plane
   * replicas), tried in turn: when a stream ends the next one is tried, the last config staying in force.
   */
  target: string | readonly string[];
  node: XdsNode;
  /** The dataplane token, sent raw in `authorization` (as Envoy's file_based_metadata credentials do). */
  token?: string;
  /**
   * TLS to every TCP target (a remote control plane): `caPem` the CA the server's certificate must
   * chain to (its host name or address checked against the SANs). Unix sockets stay plaintext.
   */
  tls?: { caPem: string };
  codec: EnvoyProtoJsonCodec;
  /** Runs a complete set; throwing refuses it (the message is the NACK's). */
  apply(version: string, set: XdsResourceSet): Promise<void>;
  backoff?: { initialMs?: number; maxMs?: number };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface AdsClientStats {
  connects: number;
  responses: number;
  applied: number;
  acks: number;
  nacks: number;
  /** The server ended the stream with an error (refused token, shutting down…), last one. */
  lastError?: string;
  /** The version in force, '' before the first. */
  version: string;
  /** The target of the current (or last) stream. */
  target: string;
  /** What the set received last still lacks (`waiting for EDS backend`), as Envoy's warming state; undefined once complete. */
  waitingFor?: string;
}

/** An incomplete set is logged once it has waited this long (Envoy's initial_fetch_timeout is 15 s). */
const INCOMPLETE_WARN_MS = 10_000;

interface TypeState {
  /** Resources of the last response, by name. */
  received: Map<string, EnvoyAny>;
  /** Of the last set applied. */
  accepted: Map<string, EnvoyAny>;
  receivedVersion: string;
  acceptedVersion: string;
  /** Nonce of a response not answered yet (waiting for the set to be complete), or ''. */
  pendingNonce: string;
  lastNonce: string;
  /** RDS/EDS: names asked for. */
  names: string[];
  /**
   * The names changed since the last response of this type: the server may have taken that request
   * as stale (it had already sent a newer response) and answered the old names.
   */
  namesChanged: boolean;
  /** Has a response of this type ever arrived (on any stream)? */
  seen: boolean;
}

function refusal(err: unknown): string {
  if (isMeshcapError(err)) return err.issues.length > 0 ? `${err.message}: ${err.issues.map(formatIssue).join('; ')}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

/** RouteConfiguration names a Listener's HttpConnectionManagers ask for under `rds`. */
export function rdsNamesOf(listeners: Iterable<EnvoyMessage>): string[] {
  const out = new Set<string>();
  const fromHcm = (hcm: EnvoyMessage | undefined): void => {
    const name = (hcm?.['rds'] as EnvoyMessage | undefined)?.['route_config_name'];
    if (typeof name === 'string') out.add(name);
  };
  for (const l of listeners) {
    fromHcm((l['api_listener'] as EnvoyMessage | undefined)?.['api_listener'] as EnvoyMessage | undefined);
    for (const chain of (l['filter_chains'] as EnvoyMessage[] | undefined) ?? []) {
      for (const f of (chain['filters'] as EnvoyMessage[] | undefined) ?? []) fromHcm(f['typed_config'] as EnvoyMessage | undefined);
    }
  }
  return [...out].sort();
}

/** ClusterLoadAssignment names of the EDS clusters (`eds_cluster_config.service_name`, else the cluster's name). */
export function edsNamesOf(clusters: Iterable<EnvoyMessage>): string[] {
  const out = new Set<string>();
  for (const c of clusters) {
    if (c['type'] !== 'EDS') continue;
    const service = (c['eds_cluster_config'] as EnvoyMessage | undefined)?.['service_name'];
    out.add(typeof service === 'string' && service ? service : String(c['name']));
  }
  return [...out].sort();
}

type Grpc = typeof GrpcJs;
let grpcLoading: Promise<Grpc> | undefined;
/**
 * grpc-js (and the proto-loader it pulls in) is loaded when the first ADS client starts: a
 * dataplane that runs from a file, with no control plane, never holds it (about 7 MB idle).
 */
function loadGrpc(): Promise<Grpc> {
  grpcLoading ??= import('@grpc/grpc-js');
  return grpcLoading;
}

export class AdsClient {
  private readonly targets: readonly string[];
  /** One gRPC client per target, made when first tried. */
  private readonly clients = new Map<string, Client>();
  private targetIndex = 0;
  private stream: ClientDuplexStream<DiscoveryRequest, ReceivedDiscoveryResponse> | undefined;
  private readonly types = new Map<XdsTypeUrl, TypeState>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private firstRequest = true;
  private readonly waiters = new Set<{ version: string; resolve: () => void }>();
  private grpc: Grpc | undefined;
  private incompleteTimer: NodeJS.Timeout | undefined;
  readonly stats: AdsClientStats;

  constructor(private readonly opts: AdsClientOptions) {
    this.targets = typeof opts.target === 'string' ? [opts.target] : [...opts.target];
    if (this.targets.length === 0) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'the ADS client needs at least one target');
    this.stats = { connects: 0, responses: 0, applied: 0, acks: 0, nacks: 0, version: '', target: this.targets[0]! };
    this.retryMs = opts.backoff?.initialMs ?? 250;
    for (const type of [XDS_TYPES.listener, XDS_TYPES.cluster, XDS_TYPES.route, XDS_TYPES.endpoint, XDS_TYPES.secret] as const) {
      this.types.set(type, { received: new Map(), accepted: new Map(), receivedVersion: '', acceptedVersion: '', pendingNonce: '', lastNonce: '', names: [], namesChanged: false, seen: false });
    }
    void loadGrpc().then(
      (grpc) => {
        this.grpc = grpc;
        this.connect();
      },
      (err: unknown) => this.opts.log?.('error', `xDS: cannot load @grpc/grpc-js: ${(err as Error).message}`),
    );
  }

  private state(type: XdsTypeUrl): TypeState {
    return this.types.get(type)!;
  }

  private clientOf(grpc: Grpc, target: string): Client {
    let client = this.clients.get(target);
    if (!client) {
      const { credentials, Client } = grpc;
      const creds = this.opts.tls && !target.startsWith('unix:') ? credentials.createSsl(Buffer.from(this.opts.tls.caPem)) : credentials.createInsecure();
      client = new Client(target, creds, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
      this.clients.set(target, client);
    }
    return client;
  }

  private connect(): void {
    const grpc = this.grpc;
    if (this.closed || !grpc) return;
    const metadata = new grpc.Metadata();
    if (this.opts.token) metadata.set('authorization', this.opts.token);
    const target = this.targets[this.targetIndex]!;
    this.stats.target = target;
    const stream = this.clientOf(grpc, target).makeBidiStreamRequest<DiscoveryRequest, ReceivedDiscoveryResponse>(
      ADS_METHOD_PATH,
      (m) => Buffer.from(this.opts.codec.encode('envoy.service.discovery.v3.DiscoveryRequest', m)),
      (b) => decodeDiscoveryResponse(this.opts.codec, b),
      metadata,
    );
    this.stream = stream;
    this.firstRequest = true;
    this.stats.connects++;
    stream.on('data', (res: ReceivedDiscoveryResponse) => {
      if (this.stream !== stream) return;
      this.retryMs = this.opts.backoff?.initialMs ?? 250;
      this.queue = this.queue.then(() => this.onResponse(res)).catch((err: unknown) => this.opts.log?.('error', `xDS: ${refusal(err)}`));
    });
    stream.on('error', (err: ServiceError) => {
      if (this.stream !== stream) return;
      this.stats.lastError = err.details || err.message;
      this.opts.log?.('warn', `xDS stream to ${target} ended: ${this.stats.lastError}`);
    });
    // grpc-js reports the end of a call, whatever ended it, with its status.
    stream.on('status', () => {
      if (this.stream === stream) this.reconnect();
    });
    // A new stream starts over: every subscription again, with the versions in force (the server answers each).
    for (const t of this.types.values()) {
      t.pendingNonce = '';
      t.lastNonce = '';
      t.namesChanged = false;
      t.received = new Map(t.accepted);
      t.receivedVersion = t.acceptedVersion;
    }
    this.request(XDS_TYPES.cluster);
    this.request(XDS_TYPES.listener);
    for (const type of [XDS_TYPES.endpoint, XDS_TYPES.route, XDS_TYPES.secret] as const) if (this.state(type).names.length > 0) this.request(type);
  }

  private reconnect(): void {
    this.stream = undefined;
    if (this.closed) return;
    // The server is gone or refused us: the next replica, if there are several.
    this.targetIndex = (this.targetIndex + 1) % this.targets.length;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.opts.backoff?.maxMs ?? 10_000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }

  private request(type: XdsTypeUrl, extra: Partial<DiscoveryRequest> = {}): void {
    const t = this.state(type);
    const req: DiscoveryRequest = {
      version_info: t.acceptedVersion,
      type_url: type,
      resource_names: type === XDS_TYPES.listener || type === XDS_TYPES.cluster ? [] : t.names,
      response_nonce: t.lastNonce,
      ...extra,
    };
    if (this.firstRequest) {
      req.node = this.opts.node;
      this.firstRequest = false;
    }
    this.stream?.write(req);
  }

  private async onResponse(res: ReceivedDiscoveryResponse): Promise<void> {
    this.stats.responses++;
    if (!isXdsType(res.type_url)) {
      this.stream?.write({ type_url: res.type_url, response_nonce: res.nonce, error_detail: { code: 3, message: `meshcap dp does not take ${res.type_url}` } });
      return;
    }
    const type = res.type_url;
    const t = this.state(type);
    t.lastNonce = res.nonce;
    if (res.errors.length > 0) {
      this.nack([type], `${XDS_TYPE_NAMES[type]}: ${res.errors.join('; ')}`);
      return;
    }
    t.received = new Map(res.resources.map((r) => [xdsResourceName(r), r]));
    t.receivedVersion = res.version_info;
    t.pendingNonce = res.nonce;
    t.seen = true;
    // This response may answer an older request (names asked for before the latest), and the server
    // ignored the requests that carried the newer names with an older nonce: ask again with this
    // nonce, which the server takes (as Envoy's ACK carries its names). A set that is complete is
    // ACKed with its names anyway; one that lacks a name would otherwise wait for ever.
    if (t.namesChanged || t.names.some((n) => !t.received.has(n))) {
      t.namesChanged = false;
      this.request(type);
    }
    // New names to subscribe to: CDS before EDS, LDS before RDS, as the server sends them.
    if (type === XDS_TYPES.cluster) this.resubscribe(XDS_TYPES.endpoint, edsNamesOf(t.received.values()));
    if (type === XDS_TYPES.listener) this.resubscribe(XDS_TYPES.route, rdsNamesOf(t.received.values()));
    // Secrets by name, from the transport sockets of both, as Envoy's SDS subscriptions.
    if (type === XDS_TYPES.listener || type === XDS_TYPES.cluster) {
      this.resubscribe(XDS_TYPES.secret, sdsNamesOf([...this.state(XDS_TYPES.listener).received.values(), ...this.state(XDS_TYPES.cluster).received.values()]));
    }
    await this.applyIfComplete(res.version_info);
  }

  private resubscribe(type: XdsTypeUrl, names: string[]): void {
    const t = this.state(type);
    if (names.join('\n') === t.names.join('\n')) return;
    t.names = names;
    t.namesChanged = true;
    // Names no longer asked for are gone from the set (SotW: their removal is the subscription's).
    for (const n of [...t.received.keys()]) if (!names.includes(n)) t.received.delete(n);
    this.request(type);
  }

  /**
   * A set is complete once LDS and CDS arrived, every route and load assignment they name is
   * there, and all of them are of one version: meshcap's control plane sends every type at each
   * version, so a set is never run half old, half new.
   */
  private missing(): string | undefined {
    const l = this.state(XDS_TYPES.listener);
    const c = this.state(XDS_TYPES.cluster);
    if (!l.seen || !c.seen) return 'waiting for LDS and CDS';
    const version = l.receivedVersion;
    if (c.receivedVersion !== version) return `waiting for CDS version ${version}`;
    for (const type of [XDS_TYPES.route, XDS_TYPES.endpoint, XDS_TYPES.secret] as const) {
      const t = this.state(type);
      if (t.names.length === 0) continue;
      const absent = t.names.filter((n) => !t.received.has(n));
      if (absent.length > 0) return `waiting for ${XDS_TYPE_NAMES[type]} ${absent.join(', ')}`;
      if (t.receivedVersion !== version) return `waiting for ${XDS_TYPE_NAMES[type]} version ${version}`;
    }
    return undefined;
  }

  private async applyIfComplete(version: string): Promise<void> {
    this.stats.waitingFor = this.missing();
    if (this.stats.waitingFor !== undefined) {
      // Said once per wait, so that a dataplane stuck without its config says on what.
      this.incompleteTimer ??= setTimeout(() => {
        if (this.stats.waitingFor !== undefined) this.opts.log?.('warn', `xDS: no complete set to apply after ${INCOMPLETE_WARN_MS / 1000} s: ${this.stats.waitingFor}`);
      }, INCOMPLETE_WARN_MS).unref();
      return;
    }
    clearTimeout(this.incompleteTimer);
    this.incompleteTimer = undefined;
    const pending = [...this.types.entries()].filter(([, t]) => t.pendingNonce !== '').map(([type]) => type);
    if (pending.length === 0) return;
    const set: XdsResourceSet = { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [] };
    for (const [type, t] of this.types) set[resourceSetField(type)] = [...t.received.values()];
    const unchanged = [...this.types.values()].every((t) => sameResources(t.received, t.accepted)) && this.stats.version === version;
    try {
      // A reconnect resends what runs: nothing to apply, only ACKs.
      if (!unchanged) {
        await this.opts.apply(version, set);
        this.stats.applied++;
      }
    } catch (err) {
      this.nack(pending, refusal(err));
      return;
    }
    this.stats.version = version;
    for (const type of pending) {
      const t = this.state(type);
      t.accepted = new Map(t.received);
      t.acceptedVersion = t.receivedVersion;
      t.pendingNonce = '';
      this.stats.acks++;
      this.request(type);
    }
    for (const w of [...this.waiters]) {
      if (w.version === version) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private nack(types: XdsTypeUrl[], message: string): void {
    this.opts.log?.('warn', `xDS: refused version ${this.state(types[0]!).receivedVersion}: ${message}`);
    for (const type of types) {
      const t = this.state(type);
      // The last good set stays in force; the next response is compared with it.
      t.received = new Map(t.accepted);
      t.receivedVersion = t.acceptedVersion;
      t.pendingNonce = '';
      this.stats.nacks++;
      this.request(type, { error_detail: { code: 3, message } });
    }
  }

  /** Resolves once `version` is in force (for tests and `meshcap dp` start-up). */
  applied(version: string): Promise<void> {
    if (this.stats.version === version) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ version, resolve }));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.incompleteTimer);
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
    for (const client of this.clients.values()) client.close();
  }
}

function sameResources(a: ReadonlyMap<string, EnvoyAny>, b: ReadonlyMap<string, EnvoyAny>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || JSON.stringify(v) !== JSON.stringify(w)) return false;
  }
  return true;
}
