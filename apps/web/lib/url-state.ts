'use client';

/**
 * View state kept in the page's query string (`?verdict=denied&flow=f-12`), so a view can be shared,
 * bookmarked and restored with Back. It reads and writes `window.location` and `history` directly:
 * Next.js keeps its router in step with `history.replaceState`/`pushState` calls, and the same code
 * runs in component tests, which have no Next router.
 */
import { useCallback, useMemo, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

const search = () => window.location.search;

export type UrlPatch = Record<string, string | null | undefined>;

/**
 * Writes `patch` into the query string (null, undefined or '' removes a key). `push` adds a history
 * entry (a step a user would go Back to, like opening a flow); the default replaces the current one
 * (typing in a filter).
 */
export function writeUrlState(patch: UrlPatch, mode: 'replace' | 'push' = 'replace'): void {
  const params = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const qs = params.toString();
  const url = `${window.location.pathname}${qs ? `?${qs}` : ''}${window.location.hash}`;
  if (url === `${window.location.pathname}${window.location.search}${window.location.hash}`) return;
  // history.state is Next's router state: kept as it is.
  if (mode === 'push') window.history.pushState(window.history.state, '', url);
  else window.history.replaceState(window.history.state, '', url);
  for (const l of listeners) l();
}

/** The query string as params, re-rendering when it changes, and the writer. */
export function useUrlState(): [URLSearchParams, typeof writeUrlState] {
  const qs = useSyncExternalStore(subscribe, search, () => '');
  const params = useMemo(() => new URLSearchParams(qs), [qs]);
  return [params, useCallback(writeUrlState, [])];
}
