import { configDumpVersion } from './config-dump.ts';
import { formatEnvoyJson, type EnvoyConfigDump } from './envoy-json.ts';
import { diffSequences, unifiedDiff } from './line-diff.ts';

/**
 * What changed between two config dumps: structured changes with paths that name resources rather
 * than positions (`dynamic_listeners[name="inbound:10.244.0.6:5000"]`), and a unified diff of the
 * pretty JSON as Envoy prints it.
 */

export interface ConfigDumpChange {
  kind: 'added' | 'removed' | 'changed';
  /** e.g. `configs[@type="…ListenersConfigDump"].dynamic_listeners[name="inbound:…"].active_state.listener…` */
  path: string;
  /** The path as segments: field names, array indexes, or `{key, value}` for elements matched by name. */
  segments: PathSegment[];
  old?: unknown;
  new?: unknown;
}

export type PathSegment = string | number | { key: string; value: string };

export interface ConfigDumpDiff {
  fromVersion?: string;
  toVersion?: string;
  changes: ConfigDumpChange[];
  /** Unified diff of the pretty JSON; '' when equal. */
  unified: string;
}

export interface DiffOptions {
  /** Leave out changes to `version_info` and `last_updated` (they move with every update). Unified text keeps them. */
  ignoreStamps?: boolean;
  /** Context lines in the unified diff (default 3). */
  context?: number;
}

/** Fields that identify an element of a list, tried in order: a list is matched by the first that every element has, uniquely. */
const ELEMENT_KEYS: ReadonlyArray<readonly string[]> = [
  ['name'],
  ['@type'],
  ['cluster', 'name'],
  ['listener', 'name'],
  ['route_config', 'name'],
  ['endpoint_config', 'cluster_name'],
  ['cluster_name'],
];
const STAMPS = new Set(['version_info', 'last_updated']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function keyOf(element: unknown, key: readonly string[]): string | undefined {
  let cur = element;
  for (const k of key) cur = isObj(cur) ? cur[k] : undefined;
  return typeof cur === 'string' ? cur : undefined;
}

function elementKey(a: readonly unknown[], b: readonly unknown[]): readonly string[] | undefined {
  const all = [...a, ...b];
  if (all.length === 0) return undefined;
  return ELEMENT_KEYS.find((key) => {
    const unique = (list: readonly unknown[]): boolean => {
      const seen = new Set<string>();
      for (const e of list) {
        const k = keyOf(e, key);
        if (k === undefined || seen.has(k)) return false;
        seen.add(k);
      }
      return true;
    };
    return unique(a) && unique(b);
  });
}

function formatSegments(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string') out += out === '' ? s : `.${s}`;
    else out += `[${s.key}=${JSON.stringify(s.value)}]`;
  }
  return out;
}

class Differ {
  readonly changes: ConfigDumpChange[] = [];
  constructor(private readonly ignoreStamps: boolean) {}

  private add(kind: ConfigDumpChange['kind'], segments: PathSegment[], old: unknown, neu: unknown): void {
    const last = segments[segments.length - 1];
    if (this.ignoreStamps && typeof last === 'string' && STAMPS.has(last)) return;
    const change: ConfigDumpChange = { kind, path: formatSegments(segments), segments };
    if (kind !== 'added') change.old = old;
    if (kind !== 'removed') change.new = neu;
    this.changes.push(change);
  }

  value(a: unknown, b: unknown, path: PathSegment[]): void {
    if (Array.isArray(a) && Array.isArray(b)) return this.list(a, b, path);
    if (isObj(a) && isObj(b)) return this.object(a, b, path);
    if (a !== b) this.add('changed', path, a, b);
  }

  private object(a: Obj, b: Obj, path: PathSegment[]): void {
    for (const k of Object.keys(a)) {
      if (!(k in b)) this.add('removed', [...path, k], a[k], undefined);
      else this.value(a[k], b[k], [...path, k]);
    }
    for (const k of Object.keys(b)) if (!(k in a)) this.add('added', [...path, k], undefined, b[k]);
  }

  private list(a: readonly unknown[], b: readonly unknown[], path: PathSegment[]): void {
    const key = elementKey(a, b);
    if (key) {
      const label = key.join('.');
      const inB = new Map(b.map((e) => [keyOf(e, key)!, e]));
      const inA = new Set(a.map((e) => keyOf(e, key)!));
      for (const e of a) {
        const k = keyOf(e, key)!;
        const seg = { key: label, value: k };
        if (!inB.has(k)) this.add('removed', [...path, seg], e, undefined);
        else this.value(e, inB.get(k), [...path, seg]);
      }
      for (const e of b) {
        const k = keyOf(e, key)!;
        if (!inA.has(k)) this.add('added', [...path, { key: label, value: k }], undefined, e);
      }
      return;
    }
    if (a.length === b.length) {
      a.forEach((e, i) => this.value(e, b[i], [...path, i]));
      return;
    }
    // Different lengths without names: match equal elements in order, report the rest by position.
    const edits = diffSequences(
      a.map((e) => JSON.stringify(e)),
      b.map((e) => JSON.stringify(e)),
    );
    let i = 0;
    let j = 0;
    for (const e of edits) {
      if (e.op === ' ') {
        i++;
        j++;
      } else if (e.op === '-') {
        this.add('removed', [...path, i], a[i], undefined);
        i++;
      } else {
        this.add('added', [...path, j], undefined, b[j]);
        j++;
      }
    }
  }
}

/** Compares two dumps (older first). */
export function diffConfigDumps(from: EnvoyConfigDump, to: EnvoyConfigDump, options: DiffOptions = {}): ConfigDumpDiff {
  const differ = new Differ(options.ignoreStamps ?? false);
  differ.value(from, to, []);
  const fromVersion = configDumpVersion(from);
  const toVersion = configDumpVersion(to);
  return {
    fromVersion,
    toVersion,
    changes: differ.changes,
    unified: unifiedDiff(formatEnvoyJson(from), formatEnvoyJson(to), {
      fromLabel: `config_dump@${fromVersion ?? 'from'}`,
      toLabel: `config_dump@${toVersion ?? 'to'}`,
      context: options.context,
    }),
  };
}
