'use client';

import { formatHostPort } from '../../../lib/format.ts';
import { useClusters, type Cluster } from '../api/get-clusters.ts';
import { PartsTable } from './parts-table.tsx';
import { StatTable } from './stat-table.tsx';

/** Envoy's health flags in words: why an endpoint gets no traffic. */
export function healthLabel(flags: string): { text: string; healthy: boolean } {
  if (flags === 'healthy') return { text: 'healthy', healthy: true };
  const words: string[] = [];
  if (flags.includes('/failed_active_hc')) words.push('failed health check');
  if (flags.includes('/failed_outlier_check')) words.push('ejected (outlier)');
  if (flags.includes('/pending_active_hc')) words.push('health check pending');
  return { text: words.join(', ') || flags, healthy: !flags.includes('/failed_') };
}

/** The counters worth a glance; the rest stay in the stats view. */
const SHOWN = ['upstream_rq_total', 'upstream_rq_5xx', 'upstream_rq_active', 'upstream_rq_pending_active', 'upstream_rq_pending_overflow', 'upstream_cx_active', 'upstream_cx_overflow', 'upstream_cx_connect_fail'];

function Endpoints({ c }: { c: Cluster }) {
  if (c.endpoints.length === 0) return <p className="muted text-xs">{c.kind === 'original_dst' ? 'the original destination of each connection' : 'no endpoints'}</p>;
  return (
    <ul className="space-y-0.5 text-xs" aria-label={`Endpoints of ${c.name}`}>
      {c.endpoints.map((e) => {
        const h = healthLabel(e.healthFlags);
        return (
          <li key={`${e.address}:${e.port}`} className="flex flex-wrap items-baseline gap-x-2">
            <span className="font-mono">{formatHostPort(e.address, e.port)}</span>
            <span className={h.healthy ? 'text-emerald-700 dark:text-emerald-400' : 'font-medium text-red-700 dark:text-red-400'}>{h.text}</span>
            <span className="muted">
              {e.rqTotal} rq · {e.rqError} errors
            </span>
          </li>
        );
      })}
    </ul>
  );
}

const COLUMNS = [
  { title: 'Name', width: 'w-[22%]' },
  { title: 'Endpoints', width: 'w-[34%]' },
  { title: 'Circuit breakers', width: 'w-[16%]' },
  { title: 'Counters', width: 'w-[28%]' },
];

export function ClusterTable({ mesh, name }: { mesh: string; name: string }) {
  const q = useClusters(mesh, name);
  return (
    <PartsTable
      query={q}
      title="Clusters"
      intro={() => 'From the running dataplane, refreshed every 3 s: endpoint health (active checks, outlier ejection), circuit breakers and counters.'}
      columns={COLUMNS}
      name={(c) => c.name}
      detail={(c) => c.kind.replace('_', ' ')}
      cells={(c) => (
        <>
          <td className="px-3 py-2">
            <Endpoints c={c} />
          </td>
          <td className="px-3 py-2 font-mono text-xs">
            <dl className="grid grid-cols-[auto_1fr] gap-x-2">
              <dt className="muted">connections</dt>
              <dd>{c.limits.maxConnections}</dd>
              <dt className="muted">pending</dt>
              <dd>{c.limits.maxPendingRequests}</dd>
              <dt className="muted">requests</dt>
              <dd>{c.limits.maxRequests}</dd>
              <dt className="muted">retries</dt>
              <dd>{c.limits.maxRetries}</dd>
            </dl>
          </td>
          <td className="px-3 py-2">
            <StatTable stats={Object.fromEntries(SHOWN.filter((k) => k in c.stats).map((k) => [k, c.stats[k]!]))} columns={1} />
          </td>
        </>
      )}
    />
  );
}
