import { MeshcapError } from '@meshcap/core';
import type { DataplaneHub } from '../channel/dataplane-hub.ts';

/** How long a page waits for a dataplane's live counters before showing the page without them. */
const STATS_TIMEOUT_MS = 1_500;

/** The dataplane's live counters (Envoy names → values), or undefined when it is offline or slow. */
export async function liveStats(hub: DataplaneHub, mesh: string, name: string): Promise<Record<string, number> | undefined> {
  if (!hub.isConnected(mesh, name)) return undefined;
  try {
    const result = await hub.request(mesh, name, 'stats', {}, STATS_TIMEOUT_MS);
    return isCounterMap(result) ? result : undefined;
  } catch (err) {
    if (err instanceof MeshcapError) return undefined;
    throw err;
  }
}

function isCounterMap(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'number');
}
