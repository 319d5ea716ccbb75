import { createHash } from 'node:crypto';
import {
  encodeAnyMessage,
  resourceSetField,
  XDS_PUSH_ORDER,
  xdsResourceName,
  type EnvoyProtoJsonCodec,
  type XdsTypeUrl,
} from '@meshcap/core';
import type { XdsClientIdentity } from './node-identity.ts';
import type { NodeResources } from './node-resources.ts';

/** One resource, encoded once for every stream that sends it. */
export interface EncodedResource {
  name: string;
  bytes: Uint8Array;
  /** Of the bytes: what "did this resource change" compares. */
  hash: string;
}

/** A client's snapshot ready to send: its resources by type, encoded. */
export interface PreparedSnapshot {
  version: string;
  byType: ReadonlyMap<XdsTypeUrl, readonly EncodedResource[]>;
}

export function clientKey(c: Pick<XdsClientIdentity, 'mesh' | 'name' | 'proxyType'>): string {
  return `${c.mesh}/${c.name}/${c.proxyType}`;
}

/**
 * Snapshots per client, built and encoded once per version and shared by every stream of that
 * client. A resource the protos refuse makes the whole build fail (the clients keep what they
 * have; the error goes to the dataplane's status): nothing half-encoded is ever sent.
 */
export class SnapshotCache {
  private readonly cache = new Map<string, PreparedSnapshot | undefined>();

  constructor(
    private readonly resources: NodeResources,
    private readonly codec: EnvoyProtoJsonCodec,
  ) {}

  get(client: XdsClientIdentity): PreparedSnapshot | undefined {
    const key = clientKey(client);
    if (this.cache.has(key)) return this.cache.get(key);
    const snapshot = this.resources(client);
    const prepared = snapshot && {
      version: snapshot.version,
      byType: new Map(
        XDS_PUSH_ORDER.map((type) => [
          type,
          (snapshot.set[resourceSetField(type)] ?? []).map((r) => {
            const bytes = encodeAnyMessage(this.codec.encodeAny(r));
            return { name: xdsResourceName(r), bytes, hash: createHash('sha1').update(bytes).digest('base64') };
          }),
        ]),
      ),
    };
    this.cache.set(key, prepared);
    return prepared;
  }

  /** Forgets the snapshots of these dataplanes (all of a mesh's proxyless clients too: their resources come from other dataplanes). */
  invalidate(changed: ReadonlyArray<{ mesh: string; dataplane: string }>): void {
    const meshes = new Set(changed.map((c) => c.mesh));
    for (const c of changed) this.cache.delete(clientKey({ mesh: c.mesh, name: c.dataplane, proxyType: 'sidecar' }));
    for (const key of [...this.cache.keys()]) {
      const [mesh, , proxyType] = key.split('/');
      if (proxyType === 'proxyless' && meshes.has(mesh!)) this.cache.delete(key);
    }
  }
}
