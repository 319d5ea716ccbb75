'use client';

import { useEffect, useMemo, useState } from 'react';
import type { Flow } from '../api/types.ts';
import { ERROR_RATE_COUNTS, flowOutcome, type FlowOutcome } from '../flow-verdict.ts';

const WINDOW_S = 60;

/** The error outcomes in the order the breakdown names them. */
const OUTCOME_PARTS: ReadonlyArray<[FlowOutcome, string]> = [
  ['denied', 'denied'],
  ['faulted', 'faulted'],
  ['failed', 'failed'],
  ['upstream-4xx', '4xx'],
  ['upstream-5xx', '5xx'],
];

interface Bucket {
  total: number;
  errors: number;
  /** Errors by outcome, so the rate can say what it is made of. */
  byOutcome: Partial<Record<FlowOutcome, number>>;
}

/** Flows per second over the last minute (newest on the right), counted from the live buffer. */
function bucketize(flows: Flow[], now: number): Bucket[] {
  const buckets: Bucket[] = Array.from({ length: WINDOW_S }, (): Bucket => ({ total: 0, errors: 0, byOutcome: {} }));
  const start = now - WINDOW_S * 1000;
  for (const f of flows) {
    const t = f.start;
    if (t < start) break; // newest first: everything after is older
    const i = Math.min(WINDOW_S - 1, Math.floor((t - start) / 1000));
    const b = buckets[i];
    if (!b) continue;
    b.total++;
    const outcome = flowOutcome(f);
    if (outcome !== 'ok') {
      b.errors++;
      b.byOutcome[outcome] = (b.byOutcome[outcome] ?? 0) + 1;
    }
  }
  return buckets;
}

/** A small bar chart of the live flow rate, with errors in red, and the last 10 s summed up in words. */
export function FlowRateChart({ flows }: { flows: Flow[] }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const buckets = useMemo(() => bucketize(flows, now), [flows, now]);
  const recent = buckets.slice(-10);
  const rate = recent.reduce((s, b) => s + b.total, 0) / 10;
  const errors = recent.reduce((s, b) => s + b.errors, 0);
  const errorPct = rate > 0 ? (errors / (rate * 10)) * 100 : 0;
  const parts = OUTCOME_PARTS.map(([o, name]) => [name, recent.reduce((s, b) => s + (b.byOutcome[o] ?? 0), 0)] as const).filter(([, n]) => n > 0);
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const w = 4;
  const h = 56;

  return (
    <div className="flex items-end gap-6">
      <dl className="flex gap-6">
        <div>
          <dt className="muted text-xs">Flow rate</dt>
          <dd className="text-2xl font-semibold tabular-nums">
            {rate.toFixed(1)}
            <span className="muted text-sm font-normal">/s</span>
          </dd>
        </div>
        <div>
          <dt className="muted text-xs">Error rate</dt>
          <dd className={`text-2xl font-semibold tabular-nums ${errorPct > 0 ? 'text-rose-600 dark:text-rose-400' : ''}`}>
            {errorPct.toFixed(1)}
            <span className="muted text-sm font-normal">%</span>
          </dd>
          <dd className="muted max-w-56 text-[11px] leading-tight" aria-label="What the error rate counts">
            {parts.length > 0 ? `${parts.map(([name, n]) => `${n} ${name}`).join(' · ')} in 10 s` : 'none in 10 s'} · counts {ERROR_RATE_COUNTS}
          </dd>
        </div>
      </dl>
      <svg
        role="img"
        aria-label={`Flows per second over the last minute: ${rate.toFixed(1)} per second now, ${errorPct.toFixed(1)}% errors`}
        viewBox={`0 0 ${WINDOW_S * w} ${h}`}
        preserveAspectRatio="none"
        className="h-14 min-w-0 flex-1"
      >
        <line x1={0} y1={h - 0.5} x2={WINDOW_S * w} y2={h - 0.5} className="stroke-slate-300 dark:stroke-slate-700" strokeWidth={1} />
        {buckets.map((b, i) => {
          const th = (b.total / max) * (h - 2);
          const eh = (b.errors / max) * (h - 2);
          return (
            <g key={i}>
              <rect x={i * w + 0.5} y={h - th} width={w - 1} height={th} className="fill-sky-400 dark:fill-sky-600" />
              {eh > 0 && <rect x={i * w + 0.5} y={h - eh} width={w - 1} height={eh} className="fill-rose-500" />}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
