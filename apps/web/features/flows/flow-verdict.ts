import type { Flow } from './api/types.ts';

/** A flow counts as an error when the proxy failed it or the upstream answered 5xx. */
export function isErrorFlow(f: Flow): boolean {
  return f.verdict === 'error' || (f.http?.status ?? 0) >= 500;
}

export const verdictTone: Record<string, string> = {
  forwarded: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  denied: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300',
  faulted: 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300',
  error: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};

export function toneOf(verdict: string): string {
  return verdictTone[verdict] ?? 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300';
}
