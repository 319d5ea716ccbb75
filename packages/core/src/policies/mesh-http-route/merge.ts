import { mergePatch } from '../../policy/merge.ts';
import type { HttpMatch, HttpRule, MeshHTTPRouteConf } from './schema.ts';

/**
 * Kuma merges MeshHTTPRoute rules by key (`policyMerge:"mergeValuesByKey"`): rules with the same
 * `matches` from several entries become one, their `default`s merged in merge order (later wins);
 * other rules add up. The order of the Envoy routes is decided when rendering (`envoy.ts`).
 */
export function mergeHttpRouteConfs(confs: readonly MeshHTTPRouteConf[]): MeshHTTPRouteConf | undefined {
  if (confs.length === 0) return undefined;
  const byKey = new Map<string, HttpRule>();
  for (const c of confs) {
    for (const rule of c.rules) {
      const key = matchesKey(rule.matches);
      const earlier = byKey.get(key);
      byKey.set(key, earlier ? { matches: rule.matches, default: mergePatch(earlier.default, rule.default) as HttpRule['default'] } : structuredClone(rule));
    }
  }
  return { rules: [...byKey.values()] };
}

function matchesKey(matches: readonly HttpMatch[]): string {
  return JSON.stringify(matches.map((m) => [m.path?.type, m.path?.value, m.method, m.headers ?? [], m.queryParams ?? []]));
}
