import { SERVICE_TAG } from '../model/common.ts';
import type { TargetRef } from '../model/policies/index.ts';
import { mergeConfs } from './merge.ts';

/**
 * Source-subset rules for `from` entries, after Kuma's MADR 007 (kumahq/kuma
 * docs/madr/decisions/007-mesh-traffic-permission.md, `BuildRules` in pkg/plugins/policies/core/rules):
 * the clients named by the entries' targetRefs are split into disjoint subsets (every combination of
 * "has tag k=v" / "has none of k's values"), each subset gets the merge of the entries that cover it,
 * and the proxy takes the first rule whose subset contains the client.
 */

/** One condition of a subset (Kuma's matcher): the client has `key=value`, or (`not`) does not. */
export interface SubsetTag {
  key: string;
  value: string;
  not: boolean;
}

/** A client's tags with every value it has: a dataplane with several inbounds can have several services. */
export type IdentityTags = Readonly<Record<string, readonly string[]>>;

/** The clients a `from[].targetRef` names, as positive tags (Mesh: no condition). */
export function subsetOfTargetRef(ref: TargetRef): SubsetTag[] {
  const pairs: Array<[string, string]> = [];
  if (ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') pairs.push([SERVICE_TAG, ref.name ?? '']);
  if (ref.kind === 'MeshSubset' || ref.kind === 'MeshServiceSubset') pairs.push(...Object.entries(ref.tags ?? {}));
  return pairs.map(([key, value]) => ({ key, value, not: false }));
}

export function subsetMatches(subset: readonly SubsetTag[], tags: IdentityTags): boolean {
  return subset.every((t) => (tags[t.key] ?? []).includes(t.value) !== t.not);
}

export interface SubsetEntry<C, O> {
  subset: SubsetTag[];
  conf: C;
  origin: O;
}

export interface SubsetRule<C, O> {
  subset: SubsetTag[];
  conf: C;
  /** The entries merged into `conf`, in merge order. */
  origins: O[];
}

/** Positive values by key, or undefined when the subset asks for two values of one key (it names nobody). */
function valuesByKey(subset: readonly SubsetTag[]): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const t of subset) {
    const seen = out.get(t.key);
    if (seen !== undefined && seen !== t.value) return undefined;
    out.set(t.key, t.value);
  }
  return out;
}

/** Default bound on the subsets one inbound and policy type may produce. */
export const MAX_SUBSET_RULES = 4096;

/**
 * Builds the first-match rule list. Entries are in merge order. Returns `undefined` when more than
 * `limit` subsets would be needed (the caller reports it; nothing is guessed).
 */
export function buildSubsetRules<C, O>(entries: ReadonlyArray<SubsetEntry<C, O>>, limit = MAX_SUBSET_RULES): Array<SubsetRule<C, O>> | undefined {
  const live = entries.flatMap((e) => {
    const values = valuesByKey(e.subset);
    return values ? [{ entry: e, values }] : [];
  });
  // Connected components of "these two subsets can share a client" (no key with two different values).
  const parent = live.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const intersect = (a: Map<string, string>, b: Map<string, string>) => [...a].every(([k, v]) => !b.has(k) || b.get(k) === v);
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) if (intersect(live[i]!.values, live[j]!.values)) parent[find(j)] = find(i);
  }
  const components = new Map<number, typeof live>();
  live.forEach((item, i) => {
    const root = find(i);
    components.set(root, [...(components.get(root) ?? []), item]);
  });

  const rules: Array<SubsetRule<C, O> & { positives: number }> = [];
  for (const members of components.values()) {
    const keyValues = new Map<string, Set<string>>();
    for (const m of members) for (const [k, v] of m.values) keyValues.set(k, (keyValues.get(k) ?? new Set()).add(v));
    const keys = [...keyValues.keys()].sort();
    const choices = keys.map((k) => [...keyValues.get(k)!].sort());
    // Each key is either one of its values or none of them: Kuma's combinations after simplification.
    const cells = choices.reduce((n, values) => n * (values.length + 1), 1);
    if (rules.length + cells > limit) return undefined;
    const pick = new Array<number>(keys.length).fill(0);
    for (let cell = 0; cell < cells; cell++) {
      let rest = cell;
      for (let i = keys.length - 1; i >= 0; i--) {
        const options = choices[i]!.length + 1;
        pick[i] = rest % options;
        rest = Math.floor(rest / options);
      }
      const chosen = new Map<string, string>();
      const subset: SubsetTag[] = [];
      keys.forEach((key, i) => {
        const values = choices[i]!;
        const value = values[pick[i]!];
        if (value !== undefined) {
          chosen.set(key, value);
          subset.push({ key, value, not: false });
        } else {
          for (const v of values) subset.push({ key, value: v, not: true });
        }
      });
      const covering = members.filter((m) => [...m.values].every(([k, v]) => chosen.get(k) === v)).map((m) => m.entry);
      if (covering.length === 0) continue;
      rules.push({ subset, conf: mergeConfs(covering.map((e) => e.conf)) as C, origins: covering.map((e) => e.origin), positives: chosen.size });
    }
  }
  // Most specific first (Kuma sorts by the number of positive tags); the sort is stable.
  rules.sort((a, b) => b.positives - a.positives);
  return rules.map(({ positives: _p, ...rule }) => rule);
}

/** The rule for a client: the first whose subset contains its tags. */
export function firstMatchingRule<R extends { subset: readonly SubsetTag[] }>(rules: readonly R[], tags: IdentityTags): R | undefined {
  return rules.find((r) => subsetMatches(r.subset, tags));
}
