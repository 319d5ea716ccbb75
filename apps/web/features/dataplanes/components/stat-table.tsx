import { formatCount } from '../../../lib/format.ts';

/** Envoy-named counters (`downstream_cx_total: 12`) as a compact grid; the API decides which exist. */
export function StatTable({ stats, columns = 2, className = '' }: { stats: Record<string, number>; columns?: 1 | 2; className?: string }) {
  const entries = Object.entries(stats);
  if (entries.length === 0) return <p className={`muted text-xs ${className}`}>No counters yet.</p>;
  return (
    <dl className={`grid ${columns === 2 ? 'grid-cols-2' : 'grid-cols-1'} gap-x-4 gap-y-0.5 text-xs ${className}`}>
      {entries.map(([k, v]) => (
        <div key={k} className="flex justify-between gap-2">
          <dt className="muted truncate font-mono" title={k}>
            {k}
          </dt>
          <dd className="font-mono tabular-nums">{formatCount(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
