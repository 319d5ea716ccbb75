'use client';

import { useCallback, useMemo, useState, type ReactNode } from 'react';

type Path = string;
export type ExpandMode = 'default' | 'all' | 'none';

/** Levels open before the user touches anything: the root, `configs`, and each config's fields. */
const DEFAULT_OPEN_DEPTH = 3;

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;
const childPath = (path: Path, key: string | number) => `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
const primitiveText = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function entriesOf(v: Record<string, unknown> | unknown[]): [string, unknown][] {
  return Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
}

/** Paths of containers that hold a match (opened while searching), and the number of matching keys/values. */
export function searchJson(value: unknown, query: string): { open: Set<Path>; count: number } {
  const q = query.trim().toLowerCase();
  const open = new Set<Path>();
  let count = 0;
  if (!q) return { open, count };
  const walk = (v: unknown, path: Path): boolean => {
    if (!isContainer(v)) {
      const hit = primitiveText(v).toLowerCase().includes(q);
      if (hit) count++;
      return hit;
    }
    let found = false;
    for (const [k, child] of entriesOf(v)) {
      const keyHit = !Array.isArray(v) && k.toLowerCase().includes(q);
      if (keyHit) count++;
      if (walk(child, childPath(path, k)) || keyHit) found = true;
    }
    if (found) open.add(path);
    return found;
  };
  walk(value, '');
  return { open, count };
}

/** A short hint for a collapsed object: its `name`, or the last part of its `@type`. */
function hintOf(v: unknown): string | undefined {
  if (!isContainer(v) || Array.isArray(v)) return undefined;
  if (typeof v.name === 'string') return v.name;
  const t = v['@type'];
  return typeof t === 'string' ? t.slice(t.lastIndexOf('.') + 1) : undefined;
}

function Highlight({ text, query }: { text: string; query: string }) {
  const q = query.trim().toLowerCase();
  if (!q) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, at)) {
    if (i > at) parts.push(text.slice(at, i));
    parts.push(
      <mark key={i} className="rounded-sm bg-yellow-200 text-inherit dark:bg-yellow-600/60">
        {text.slice(i, i + q.length)}
      </mark>,
    );
    at = i + q.length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}

interface TreeState {
  query: string;
  isOpen: (path: Path, depth: number) => boolean;
  toggle: (path: Path, open: boolean) => void;
}

function JsonNode({ name, value, path, depth, state }: { name: string | null; value: unknown; path: Path; depth: number; state: TreeState }) {
  const key =
    name === null ? null : (
      <span className="text-sky-800 dark:text-sky-300">
        <Highlight text={name} query={state.query} />
      </span>
    );
  if (!isContainer(value)) {
    const tone =
      typeof value === 'string' ? 'text-emerald-700 dark:text-emerald-400' : typeof value === 'number' ? 'text-violet-700 dark:text-violet-300' : 'text-amber-700 dark:text-amber-300';
    return (
      <li className="pl-4 break-all">
        {key}
        {key && <span className="muted">: </span>}
        <span className={tone}>
          <Highlight text={primitiveText(value)} query={state.query} />
        </span>
      </li>
    );
  }
  const entries = entriesOf(value);
  const open = state.isOpen(path, depth);
  const size = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const hint = hintOf(value);
  return (
    <li>
      <button
        type="button"
        aria-expanded={open}
        onClick={() => state.toggle(path, !open)}
        className="group flex max-w-full items-baseline gap-1 rounded px-0.5 text-left hover:bg-slate-100 dark:hover:bg-slate-800"
      >
        <span aria-hidden className="inline-block w-3 shrink-0 text-slate-400">
          {open ? '▾' : '▸'}
        </span>
        {key ?? <span className="muted">config_dump</span>}
        <span className="muted shrink-0">{size}</span>
        {!open && hint && (
          <span className="muted truncate italic">
            <Highlight text={hint} query={state.query} />
          </span>
        )}
      </button>
      {open && (
        <ul className="ml-1.5 border-l border-slate-200 pl-2 dark:border-slate-800">
          {entries.length === 0 && <li className="muted pl-4">(empty)</li>}
          {entries.map(([k, v]) => (
            <JsonNode key={k} name={k} value={v} path={childPath(path, k)} depth={depth + 1} state={state} />
          ))}
        </ul>
      )}
    </li>
  );
}

/**
 * A collapsible JSON tree. Every object/array is a button with `aria-expanded`; searching opens the
 * branches that hold a match and marks the matches. `mode` is where branches start: the first levels, all, or none.
 */
export function JsonTree({ value, query, mode, label }: { value: unknown; query: string; mode: ExpandMode; label: string }) {
  // Branches the user opened or closed by hand; the parent remounts the tree (new `key`) to reset them.
  const [map, setMap] = useState<Map<Path, boolean>>(() => new Map());
  const { open: hits } = useMemo(() => searchJson(value, query), [value, query]);
  const toggle = useCallback((path: Path, open: boolean) => setMap((m) => new Map(m).set(path, open)), []);

  const state: TreeState = {
    query,
    toggle,
    isOpen: (path, depth) => map.get(path) ?? (hits.has(path) || (mode === 'all' ? true : mode === 'none' ? depth === 0 : depth < DEFAULT_OPEN_DEPTH)),
  };
  return (
    <ul aria-label={label} className="font-mono text-xs leading-5">
      <JsonNode name={null} value={value} path="" depth={0} state={state} />
    </ul>
  );
}
