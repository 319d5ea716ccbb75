/**
 * JSON Merge Patch (RFC 7396), the way Kuma merges the `default` confs of matching policy entries
 * ("Understanding TargetRef policies › Merging configuration"): objects merge key by key, `null`
 * deletes a key, and anything else — arrays included — replaces what was there.
 *
 * Kuma's list exceptions: fields whose Go name starts with `Append` are concatenated, and
 * `policyMerge:"mergeValuesByKey"` lists (MeshHTTPRoute rules) merge by key. None of the policy types
 * meshcap knows has such a field, so here every list replaces: a more specific MeshFaultInjection's
 * `http` list or MeshAccessLog's `backends` list replaces the less specific one, as in Kuma.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396 MergePatch(target, patch). Returns a new value; neither input is modified or shared. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value !== undefined) result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Merges confs in order (later wins). `undefined` for an empty list. */
export function mergeConfs<C>(confs: readonly C[]): C | undefined {
  if (confs.length === 0) return undefined;
  let acc: unknown = {};
  for (const conf of confs) acc = mergePatch(acc, conf);
  return acc as C;
}
