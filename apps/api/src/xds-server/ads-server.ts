import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { Server, ServerCredentials, status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  ADS_METHOD_PATH,
  encodeDiscoveryResponse,
  MeshcapError,
  type ChangeResult,
  type DiscoveryRequest,
  type EncodedDiscoveryResponse,
  type EnvoyProtoJsonCodec,
} from '@meshcap/core';
import type { DataplaneTokens } from '../auth/index.ts';
import type { MeshCatalog } from '../catalog/index.ts';
import type { DataplaneStatuses } from '../channel/dataplane-status.ts';
import { isLoopbackHost } from '@meshcap/dataplane';
import { AdsStream, type AdsCounters } from './ads-stream.ts';
import { identifyNode } from './node-identity.ts';
import type { NodeResources } from './node-resources.ts';
import type { MeshIdentities } from '../mtls/mesh-identities.ts';
import { SnapshotCache } from './snapshot-cache.ts';

export { DEFAULT_XDS_PORT } from '@meshcap/core';

export interface AdsServerDeps {
  catalog: MeshCatalog;
  tokens: DataplaneTokens;
  statuses: DataplaneStatuses;
  codec: EnvoyProtoJsonCodec;
  resources: NodeResources;
  /** mTLS certificates: a new one (issued, rotated) is pushed like a config change. */
  identities?: MeshIdentities;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/**
 * The control plane's ADS server (envoy.service.discovery.v3.AggregatedDiscoveryService,
 * state of the world) on TCP and Unix sockets. Every change the policy compiler reports is
 * pushed to the streams of the dataplanes it changed.
 */
export class AdsServer {
  private readonly server = new Server({ 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  private readonly streams = new Set<AdsStream>();
  private readonly snapshots: SnapshotCache;
  private readonly unsubscribe: () => void;
  private readonly sockets: string[] = [];
  private closed = false;
  readonly counters: AdsCounters = { streams: 0, streamsRefused: 0, responses: 0, acks: 0, nacks: 0, staleNonces: 0, unknownTypes: 0 };
  /** Where it listens: `127.0.0.1:5678`, `unix:/run/meshcap/xds.sock`. */
  readonly addresses: string[] = [];
  /** Those of `addresses` served over TLS. */
  readonly tlsAddresses = new Set<string>();

  constructor(private readonly deps: AdsServerDeps) {
    this.snapshots = new SnapshotCache(deps.resources, deps.codec);
    this.server.register<DiscoveryRequest, EncodedDiscoveryResponse>(
      ADS_METHOD_PATH,
      (call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse>) => this.onStream(call),
      encodeDiscoveryResponse,
      (b) => deps.codec.decode('envoy.service.discovery.v3.DiscoveryRequest', b) as DiscoveryRequest,
      'bidi',
    );
    const offCompiler = deps.catalog.compiler.onChange((result) => this.onChange(result));
    const offIdentities = deps.identities?.onChange((changes) => this.onChange({ changes: changes.map((c) => ({ ...c, version: deps.catalog.compiler.version(c.mesh, c.dataplane) })) }));
    this.unsubscribe = () => {
      offCompiler();
      offIdentities?.();
    };
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Listens on `host:port` (port 0: any) or `unix:PATH` (created world-connectable, like the API
   * socket: a stream needs a dataplane token). Resolves with the bound address. TCP is served over
   * TLS with `tls` (the control plane's certificate); without it only a loopback address is taken,
   * so a dataplane token never crosses a network in the clear.
   */
  async listen(address: string, tls?: { certPem: string; keyPem: string }): Promise<string> {
    if (this.closed) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'the xDS server is closed');
    let target = address;
    if (address.startsWith('unix:')) {
      const path = address.slice('unix:'.length);
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      if (existsSync(path)) unlinkSync(path);
      this.sockets.push(path);
    } else {
      const m = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(address);
      if (!m) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `xDS listen address "${address}" is not HOST:PORT or unix:PATH`);
      if (!tls && !isLoopbackHost(m[1]!)) {
        throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `xDS on ${address}: plaintext is only served on loopback and Unix sockets; this address needs the control plane's TLS certificate`);
      }
    }
    const unix = address.startsWith('unix:');
    const creds = tls && !unix ? ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }], false) : ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(target, creds, (err, p) => (err ? reject(new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `cannot listen for xDS on ${address}: ${err.message}`)) : resolve(p)));
    });
    if (address.startsWith('unix:')) chmodSync(address.slice('unix:'.length), 0o666);
    else target = address.replace(/:\d+$/, `:${port}`);
    this.addresses.push(target);
    if (tls && !unix) this.tlsAddresses.add(target);
    return target;
  }

  private onStream(call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse>): void {
    if (this.closed) {
      call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'the control plane is shutting down' });
      return;
    }
    // The stream registers itself (`opened`) once its first request has identified the client.
    new AdsStream(call, {
      identify: (req, c) => identifyNode(req.node, c.metadata, this.deps),
      snapshot: (client) => this.snapshots.get(client),
      statuses: this.deps.statuses,
      counters: this.counters,
      opened: (s) => this.streams.add(s),
      closed: (s) => this.streams.delete(s),
      log: (level, message) => this.deps.log?.(level, message),
    });
  }

  private onChange(result: ChangeResult): void {
    this.snapshots.invalidate(result.changes);
    const meshes = new Set(result.changes.map((c) => c.mesh));
    const deleted = new Set(result.changes.filter((c) => !c.version).map((c) => `${c.mesh}/${c.dataplane}`));
    const changed = new Set(result.changes.map((c) => `${c.mesh}/${c.dataplane}`));
    for (const s of [...this.streams]) {
      const c = s.client!;
      const key = `${c.mesh}/${c.name}`;
      if (deleted.has(key)) {
        s.close(GrpcStatus.NOT_FOUND, `dataplane ${key} was deleted`);
        continue;
      }
      if (changed.has(key) || (c.proxyType === 'proxyless' && meshes.has(c.mesh))) s.push();
    }
  }

  /** Ends the streams opened with a token that was just revoked. */
  disconnectToken(tokenId: string): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (s.client?.tokenId !== tokenId) continue;
      s.close(GrpcStatus.UNAUTHENTICATED, 'the dataplane token was revoked');
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const s of [...this.streams]) s.close(GrpcStatus.UNAVAILABLE, 'the control plane is shutting down');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const path of this.sockets) if (existsSync(path)) unlinkSync(path);
  }
}
