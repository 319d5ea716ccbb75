import type { Flow } from './api/types.ts';

/**
 * What a user reads as a flow's result. A local reply is this proxy answering itself (a denial by
 * permission or rate limit, an injected fault, a failure such as an upstream it could not reach);
 * otherwise the upstream's answer, by HTTP status class. The caller's side of a call the callee
 * denied is `forwarded` with a 403: `upstream-4xx`, not `ok`.
 */
export type FlowOutcome = 'ok' | 'upstream-4xx' | 'upstream-5xx' | 'denied' | 'faulted' | 'failed';

export function flowOutcome(f: Flow): FlowOutcome {
  if (f.verdict === 'denied') return 'denied';
  if (f.verdict === 'faulted') return 'faulted';
  if (f.verdict === 'error') return 'failed';
  const status = f.http?.status ?? 0;
  if (status >= 500) return 'upstream-5xx';
  if (status >= 400) return 'upstream-4xx';
  return 'ok';
}

/** What the error rate counts: every outcome but `ok`. Said on screen by ERROR_RATE_COUNTS. */
export function isErrorFlow(f: Flow): boolean {
  return flowOutcome(f) !== 'ok';
}

export const ERROR_RATE_COUNTS = 'denials, injected faults, proxy failures and 4xx/5xx answers';

/** Badge colours: green only for an upstream's success; local replies solid, upstream errors outlined. */
const OUTCOME_TONE: Record<FlowOutcome, string> = {
  ok: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  'upstream-4xx': 'bg-white text-amber-900 ring-1 ring-amber-500 ring-inset dark:bg-transparent dark:text-amber-300 dark:ring-amber-400',
  'upstream-5xx': 'bg-white text-rose-800 ring-1 ring-rose-500 ring-inset dark:bg-transparent dark:text-rose-300 dark:ring-rose-400',
  denied: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300',
  faulted: 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};

const OUTCOME_TEXT: Record<FlowOutcome, string> = {
  ok: 'forwarded; the upstream answered',
  'upstream-4xx': 'forwarded; the upstream refused it',
  'upstream-5xx': 'forwarded; the upstream failed',
  denied: 'answered locally: denied by a policy',
  faulted: 'answered locally: a fault injected by a policy',
  failed: 'answered locally: the proxy could not complete it',
};

/** Props of the verdict badge: the colour of the outcome and a title that says it in words. */
export function verdictBadge(f: Flow): { className: string; title: string; 'data-outcome': FlowOutcome } {
  const outcome = flowOutcome(f);
  const status = f.http?.status !== undefined ? ` (${f.http.status})` : '';
  return { className: OUTCOME_TONE[outcome], title: `${OUTCOME_TEXT[outcome]}${status}`, 'data-outcome': outcome };
}
