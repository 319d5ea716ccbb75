/**
 * The settings every `*.fuzz.test.ts` shares: a short seeded run inside the test command, and
 * `FUZZ_RUNS` inputs per property under `npm run fuzz`. `FUZZ_SEED` replays a failure.
 */
export interface FuzzSettings {
  numRuns: number;
  seed: number;
  endOnFailure: true;
}

/** `defaultRuns`: inputs per property in the test command (kept small: the suite runs them every time). */
export function fuzzSettings(defaultSeed: number, defaultRuns = 300): FuzzSettings {
  return {
    numRuns: Number(process.env['FUZZ_RUNS'] ?? defaultRuns),
    seed: Number(process.env['FUZZ_SEED'] ?? defaultSeed),
    endOnFailure: true,
  };
}

/** Runs `f`, failing when it took longer than `slowMs`: a hang or a pathological path (backtracking regex, quadratic loop). */
export function withinTime<T>(f: () => T, slowMs = 250): T {
  const t0 = performance.now();
  const r = f();
  const took = performance.now() - t0;
  if (took > slowMs) throw new Error(`took ${took.toFixed(0)} ms (limit ${slowMs} ms)`);
  return r;
}

/** The async form of `withinTime`. */
export async function withinTimeAsync<T>(f: () => Promise<T>, slowMs = 2_000): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  const took = performance.now() - t0;
  if (took > slowMs) throw new Error(`took ${took.toFixed(0)} ms (limit ${slowMs} ms)`);
  return r;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value (the root included), so a mutation can land anywhere. */
export function jsonPaths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...jsonPaths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...jsonPaths(x, [...at, k]));
  return out;
}

/** A copy of `v` with the value at `path` replaced by `to`, or removed when `to` is undefined. */
export function setJsonAt(v: Json, path: readonly (string | number)[], to: Json | undefined): Json {
  if (path.length === 0) return to ?? null;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(v)) {
    const copy = [...v];
    if (to === undefined && rest.length === 0) copy.splice(Number(head), 1);
    else copy[Number(head)] = setJsonAt(copy[Number(head)] ?? null, rest, to);
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const copy = { ...v };
    if (to === undefined && rest.length === 0) delete copy[head];
    else copy[head] = setJsonAt(copy[head] ?? null, rest, to);
    return copy;
  }
  return v;
}

export type JsonEdit = readonly [pick: number, op: 'replace' | 'delete' | 'add', value: Json, key: string];

/** Applies edits in order: each picks a path (`pick` modulo their count) and replaces, deletes or adds a key there. */
export function mutateJson(seed: Json, edits: readonly JsonEdit[]): Json {
  let v = JSON.parse(JSON.stringify(seed)) as Json;
  for (const [pick, op, value, key] of edits) {
    const all = jsonPaths(v);
    const path = all[pick % all.length]!;
    if (op === 'replace') v = setJsonAt(v, path, value);
    else if (op === 'delete') v = setJsonAt(v, path, undefined);
    else v = setJsonAt(v, [...path, key], value);
  }
  return v;
}
