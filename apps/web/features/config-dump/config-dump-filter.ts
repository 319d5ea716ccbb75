import type { ConfigDump } from './api/types.ts';

/** `Listeners` from `type.googleapis.com/envoy.admin.v3.ListenersConfigDump`. */
export function resourceOf(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1).replace(/ConfigDump$/, '');
}

/** The resources a dump holds, in its order (Bootstrap, Clusters, Listeners, Routes…). */
export function resourcesIn(dump: ConfigDump): string[] {
  return [...new Set(dump.configs.map((c) => resourceOf(c['@type'])))];
}

/** Every `name` string in an item, a few levels deep (`name`, `cluster.name`, `active_state.listener.name`). */
function namesIn(v: unknown, depth = 0, out: string[] = []): string[] {
  if (depth > 3 || typeof v !== 'object' || v === null) return out;
  for (const [k, child] of Object.entries(v)) {
    if (k === 'name' && typeof child === 'string') out.push(child);
    else namesIn(child, depth + 1, out);
  }
  return out;
}

/**
 * The part of a dump to show: only the configs of one resource kind (when given), and in each, only
 * the list entries (listeners, clusters, route configs…) whose name contains `name`.
 */
export function filterConfigDump(dump: ConfigDump, resource: string, name: string): ConfigDump {
  const q = name.trim().toLowerCase();
  const configs = dump.configs.filter((c) => !resource || resourceOf(c['@type']) === resource);
  if (!q) return { configs };
  return {
    configs: configs.map((c) => {
      const out: ConfigDump['configs'][number] = { '@type': c['@type'] };
      for (const [k, v] of Object.entries(c)) {
        if (k === '@type') continue;
        out[k] = Array.isArray(v) ? v.filter((item) => namesIn(item).some((n) => n.toLowerCase().includes(q))) : v;
      }
      return out;
    }),
  };
}
