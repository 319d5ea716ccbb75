import { MeshcapError } from '@meshcap/core';
import type { DataplaneHub } from '../channel/dataplane-hub.ts';
import type { ReplicaForwarder } from '../channel/replica-forward.ts';

/** How long a page waits for a dataplane's live counters before showing the page without them. */
const STATS_TIMEOUT_MS = 1_500;

/**
 * The dataplane's live counters (Envoy names → values), or undefined when it is offline or slow.
 * A dataplane held by another replica is read through that replica's stats route (same bound), so
 * a page about it shows its counters on every replica; a holder that does not answer in time
 * leaves the page without them, as a slow dataplane does.
 */
export async function liveStats(
  hub: DataplaneHub,
  mesh: string,
  name: string,
  elsewhere?: { forwarder: ReplicaForwarder | undefined; authorization: string | undefined },
): Promise<Record<string, number> | undefined> {
  try {
    if (hub.isConnected(mesh, name)) {
      const result = await hub.request(mesh, name, 'stats', {}, STATS_TIMEOUT_MS);
      return isCounterMap(result) ? result : undefined;
    }
    const holder = elsewhere?.forwarder?.holderElsewhere(mesh, name);
    if (!holder || !elsewhere?.forwarder) return undefined;
    const path = `/api/meshes/${encodeURIComponent(mesh)}/dataplanes/${encodeURIComponent(name)}/stats`;
    const { status, body } = await elsewhere.forwarder.read({ id: holder.replica, url: holder.replicaUrl }, path, elsewhere.authorization, STATS_TIMEOUT_MS);
    const stats = (body as { stats?: unknown } | undefined)?.stats;
    return status === 200 && isCounterMap(stats) ? stats : undefined;
  } catch (err) {
    if (err instanceof MeshcapError) return undefined;
    throw err;
  }
}

function isCounterMap(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'number');
}
