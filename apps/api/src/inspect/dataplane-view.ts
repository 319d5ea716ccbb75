import { isTransparent, meshDnsNames, VIP_PORT, vipListenerName, type Dataplane, type DataplanePolicies } from '@meshcap/core';
import type { z } from 'zod';
import type { MeshCatalog } from '../catalog/index.ts';
import type { DataplaneHub } from '../channel/dataplane-hub.ts';
import type { ReplicaPresence } from '../channel/replica-presence.ts';
import type { dataplanePort, dataplaneSummary } from '../schemas/dataplanes.ts';
import type { StoredResource } from '../store/index.ts';
import { isAckOfPolicyVersion } from '../xds-server/node-resources.ts';

type Summary = z.input<typeof dataplaneSummary>;
type Port = z.input<typeof dataplanePort>;

export function captureMode(dp: Dataplane): 'redirect' | 'tproxy' | 'explicit' {
  if (!isTransparent(dp)) return 'explicit';
  return dp.networking.transparentProxying?.inboundMode ?? 'redirect';
}

/** Tags of all inbounds; a key with several values lists them joined by ",". */
export function mergedTags(dp: Dataplane): Record<string, string> {
  const values = new Map<string, Set<string>>();
  for (const ib of dp.networking.inbound) for (const [k, v] of Object.entries(ib.tags)) values.set(k, (values.get(k) ?? new Set()).add(v));
  return Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort().join(',')]));
}

export function compiledOrUndefined(catalog: MeshCatalog, mesh: string, name: string): DataplanePolicies | undefined {
  try {
    return catalog.compiler.compile(mesh, name);
  } catch {
    return undefined;
  }
}

export function summarize(record: StoredResource & { resource: Dataplane }, catalog: MeshCatalog, hub: DataplaneHub, presence?: ReplicaPresence): Summary {
  const dp = record.resource;
  const local = hub.status(record.mesh, record.name);
  const expected = compiledOrUndefined(catalog, record.mesh, record.name)?.version.versionInfo ?? null;
  const holder = presence?.holder(record.mesh, record.name);
  const here = local.connected || local.xdsStreams > 0;
  // Held by another replica: connected there, with the version it ACKed there.
  const elsewhere = !here && holder !== undefined && holder.replica !== presence?.id;
  const status = elsewhere ? { ...local, connected: true, connectedAt: holder.connectedAt, lastSeen: holder.seenAt, configVersion: holder.configVersion } : local;
  const controlPlane = presence ? (here ? { replica: presence.id, url: presence.url, self: true } : elsewhere ? { replica: holder.replica, url: holder.replicaUrl, self: false } : null) : undefined;
  return {
    ...(controlPlane !== undefined ? { controlPlane } : {}),
    mesh: record.mesh,
    name: record.name,
    address: dp.networking.address,
    tags: mergedTags(dp),
    // A proxyless client has only its ADS stream.
    connected: status.connected || status.xdsStreams > 0,
    status: status.connected || status.xdsStreams > 0 ? 'online' : 'offline',
    lastSeen: status.lastSeen,
    connectedAt: status.connectedAt,
    configVersion: status.configVersion,
    expectedVersion: expected,
    pendingVersion: status.pendingVersion,
    upToDate: expected !== null && isAckOfPolicyVersion(status.configVersion, expected),
    captureMode: captureMode(dp),
    totalUpdates: status.totalUpdates,
    totalErrors: status.errors.length,
    errors: status.errors,
    configSource: status.configSource,
    xdsStreams: status.xdsStreams,
  };
}

/** Counters of one listener from an Envoy-style stats map (`listener.<stat name>.<counter>`). */
export function listenerCounters(stats: Record<string, number>, listenerName: string): Record<string, number> {
  const prefix = `listener.${listenerName.replaceAll(':', '_')}.`;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Inbounds and outbounds as the compiled config has them, with their listeners' live counters. */
export function ports(compiled: DataplanePolicies, stats: Record<string, number>): { inbounds: Port[]; outbounds: Port[] } {
  const dp = compiled.resource;
  const inbounds = compiled.inbounds.map((ib) => {
    const declared = dp.networking.inbound.find((x) => x.port === ib.port && (x.address ?? dp.networking.address) === ib.address);
    return {
      listener: ib.listener,
      address: ib.address,
      port: ib.port,
      protocol: ib.protocol,
      service: ib.service,
      tags: ib.tags,
      serviceAddress: declared?.serviceAddress ?? '127.0.0.1',
      servicePort: ib.servicePort,
      stats: listenerCounters(stats, ib.listener),
    };
  });
  // Declared outbounds, then (transparent proxying) each service reached at its VIP: its port-80 listener.
  const outbounds = compiled.outbounds
    .filter((ob) => ob.listener !== undefined || ob.vip !== undefined)
    .map((ob) => {
      const listener = ob.listener ?? vipListenerName(ob.vip!, VIP_PORT);
      return {
        listener,
        address: ob.address ?? ob.vip ?? '127.0.0.1',
        port: ob.port ?? VIP_PORT,
        protocol: ob.protocol,
        service: ob.service,
        tags: ob.listener !== undefined ? (dp.networking.outbound.find((x) => x.port === ob.port)?.tags ?? {}) : { 'kuma.io/service': ob.service },
        ...(ob.vip !== undefined ? { vip: ob.vip, dnsNames: meshDnsNames(ob.service) } : {}),
        stats: listenerCounters(stats, listener),
      };
    });
  return { inbounds, outbounds };
}
