import type { FlowRecord } from '@meshcap/core';

/**
 * Golden metrics (rate, errors, latency) of a service or a dataplane, computed from the flows the
 * control plane holds: a series in fixed steps over the last 5, 15 or 60 minutes, the window's
 * totals, and per listener a request counter and a latency histogram.
 *
 * Errors are counted by kind, separately, because they mean different things to whoever reads the
 * chart: an upstream that answered 5xx, a denial by a policy, and another reply the proxy made
 * itself (an injected fault, an upstream it could not reach, a timeout). An upstream's 4xx is counted
 * too (the caller's side of a call the callee denied is a forwarded 403).
 */

export const METRICS_WINDOWS = {
  '5m': { ms: 5 * 60_000, stepMs: 5_000 },
  '15m': { ms: 15 * 60_000, stepMs: 15_000 },
  '60m': { ms: 60 * 60_000, stepMs: 60_000 },
} as const;
export type MetricsWindow = keyof typeof METRICS_WINDOWS;

/** Upper bounds (ms) of the latency histogram's buckets: Envoy's default histogram buckets up to a minute; the last bucket has no bound. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const;

export interface ErrorCounts {
  /** Forwarded, and the upstream answered 5xx. */
  upstream5xx: number;
  /** Forwarded, and the upstream answered 4xx. */
  upstream4xx: number;
  /** Denied by a policy (traffic permission, rate limit). */
  denied: number;
  /** Answered by the proxy itself, other than a denial: injected faults and proxy failures. */
  localReplies: number;
}

export interface LatencyPercentiles {
  /** Nearest rank over the flows' total durations; null with no flow. */
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface MetricsPoint extends ErrorCounts, LatencyPercentiles {
  /** Start of the step (ms since the epoch). */
  t: number;
  /** Requests (HTTP) and connections (TCP) that started in the step. */
  requests: number;
  /** `requests` per second (in the running last step, per second of it so far). */
  rate: number;
}

export interface ListenerMetrics extends ErrorCounts, LatencyPercentiles {
  listener: string;
  direction: 'inbound' | 'outbound';
  requests: number;
  /** Flow count per latency bucket: `leMs` is the bucket's upper bound, null for the last (unbounded) one. */
  histogram: Array<{ leMs: number | null; count: number }>;
}

export interface GoldenMetrics {
  window: MetricsWindow;
  stepS: number;
  from: number;
  to: number;
  /** The oldest flow the control plane still holds (null: none): a window reaching further back counts from there. */
  oldestFlow: number | null;
  totals: ErrorCounts & LatencyPercentiles & { requests: number; rate: number };
  points: MetricsPoint[];
  listeners: ListenerMetrics[];
}

function errorKind(f: FlowRecord): keyof ErrorCounts | null {
  if (f.verdict === 'denied') return 'denied';
  if (f.verdict === 'faulted' || f.verdict === 'error') return 'localReplies';
  const status = f.http?.status ?? 0;
  if (status >= 500) return 'upstream5xx';
  if (status >= 400) return 'upstream4xx';
  return null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

class Acc {
  requests = 0;
  errors: ErrorCounts = { upstream5xx: 0, upstream4xx: 0, denied: 0, localReplies: 0 };
  durations: number[] = [];

  add(f: FlowRecord): void {
    this.requests++;
    const kind = errorKind(f);
    if (kind) this.errors[kind]++;
    this.durations.push(f.timings.totalMs);
  }

  percentiles(): LatencyPercentiles {
    const sorted = this.durations.sort((a, b) => a - b);
    return { p50Ms: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9), p99Ms: percentile(sorted, 0.99) };
  }
}

function histogram(durations: number[]): ListenerMetrics['histogram'] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const d of durations) {
    const i = LATENCY_BUCKETS_MS.findIndex((le) => d <= le);
    counts[i === -1 ? LATENCY_BUCKETS_MS.length : i]!++;
  }
  return counts.map((count, i) => ({ leMs: LATENCY_BUCKETS_MS[i] ?? null, count }));
}

/**
 * The metrics of the flows `selected` keeps among `flows` (all the control plane holds, any order)
 * that started in the window ending at `now`. Steps are aligned to the step size, so two calls a second apart share their points.
 */
export function goldenMetrics(flows: Iterable<FlowRecord>, selected: (f: FlowRecord) => boolean, now: number, window: MetricsWindow): GoldenMetrics {
  const { ms, stepMs } = METRICS_WINDOWS[window];
  const steps = ms / stepMs;
  const to = Math.floor(now / stepMs) * stepMs + stepMs;
  const from = to - ms;
  const buckets = Array.from({ length: steps }, () => new Acc());
  const total = new Acc();
  const listeners = new Map<string, { direction: 'inbound' | 'outbound'; acc: Acc }>();
  let oldestFlow: number | null = null;
  for (const f of flows) {
    if (oldestFlow === null || f.start < oldestFlow) oldestFlow = f.start;
    if (f.start < from || f.start >= to || !selected(f)) continue;
    buckets[Math.floor((f.start - from) / stepMs)]!.add(f);
    total.add(f);
    let l = listeners.get(f.listener);
    if (!l) listeners.set(f.listener, (l = { direction: f.direction, acc: new Acc() }));
    l.acc.add(f);
  }
  // The rate of the whole window is over the time flows cover, not a stretch before the first one was kept.
  const coveredMs = Math.max(stepMs, Math.min(ms, now - Math.max(from, oldestFlow ?? now)));
  return {
    window,
    stepS: stepMs / 1000,
    from,
    to,
    oldestFlow,
    totals: { requests: total.requests, rate: total.requests / (coveredMs / 1000), ...total.errors, ...total.percentiles() },
    // The last step is still running: its rate is over the part of it that has passed.
    points: buckets.map((b, i) => {
      const t = from + i * stepMs;
      const elapsedMs = Math.min(stepMs, Math.max(1000, now - t));
      return { t, requests: b.requests, rate: b.requests / (elapsedMs / 1000), ...b.errors, ...b.percentiles() };
    }),
    listeners: [...listeners]
      .map(([listener, { direction, acc }]) => ({ listener, direction, requests: acc.requests, ...acc.errors, ...acc.percentiles(), histogram: histogram(acc.durations) }))
      .sort((a, b) => a.listener.localeCompare(b.listener)),
  };
}
