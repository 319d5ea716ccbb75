import Link from 'next/link';
import { StatusBadge } from '../../../components/status-badge.tsx';
import { formatAgo } from '../../../lib/format.ts';
import type { DataplaneSummary } from '../api/types.ts';
import { dataplaneHref } from '../dataplane-href.ts';

/**
 * kumactl's `inspect dataplanes` as a table: every row links to its dataplane page. With control
 * plane replicas (the API then says which replica holds each dataplane) a column names it.
 */
export function DataplaneTable({ dataplanes, now }: { dataplanes: DataplaneSummary[]; now: number }) {
  const replicas = dataplanes.some((dp) => dp.controlPlane !== undefined);
  return (
    <table className="w-full table-fixed text-sm" aria-label="Dataplanes">
      <thead className="border-b border-slate-200 text-left text-xs font-medium tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
        <tr>
          <th className={`${replicas ? 'w-[17%]' : 'w-[22%]'} px-3 py-2`}>Name</th>
          <th className={`${replicas ? 'w-[7%]' : 'w-[9%]'} px-3 py-2`}>Mesh</th>
          <th className="w-[10%] px-3 py-2">Status</th>
          {replicas && <th className="w-[14%] px-3 py-2">Control plane</th>}
          <th className={`${replicas ? 'w-[12%]' : 'w-[15%]'} px-3 py-2`}>Address</th>
          <th className={`${replicas ? 'w-[8%]' : 'w-[10%]'} px-3 py-2`}>Capture</th>
          <th className={`${replicas ? 'w-[12%]' : 'w-[14%]'} px-3 py-2`}>Config version</th>
          <th className={`${replicas ? 'w-[12%]' : 'w-[11%]'} px-3 py-2`}>Last seen</th>
          <th className={`${replicas ? 'w-[8%]' : 'w-[9%]'} px-3 py-2 text-right`}>Errors</th>
        </tr>
      </thead>
      <tbody>
        {dataplanes.map((dp) => (
          <tr key={`${dp.mesh}/${dp.name}`} className="border-b border-slate-100 last:border-0 dark:border-slate-800/70">
            <td className="truncate px-3 py-2">
              <Link className="link font-medium" href={dataplaneHref(dp.mesh, dp.name)}>
                {dp.name}
              </Link>
              {dp.tags['kuma.io/service'] && <span className="muted block truncate text-xs">{dp.tags['kuma.io/service']}</span>}
            </td>
            <td className="truncate px-3 py-2">{dp.mesh}</td>
            <td className="px-3 py-2">
              <StatusBadge connected={dp.connected} />
            </td>
            {replicas && (
              <td className="px-3 py-2 text-xs">
                <ControlPlaneReplica controlPlane={dp.controlPlane} />
              </td>
            )}
            <td className="truncate px-3 py-2 font-mono text-xs">{dp.address}</td>
            <td className="px-3 py-2">
              <CaptureBadge mode={dp.captureMode} />
            </td>
            <td className="px-3 py-2 font-mono text-xs">
              <ConfigVersion dp={dp} />
            </td>
            <td className="px-3 py-2 text-xs">{formatAgo(dp.lastSeen, now)}</td>
            <td className={`px-3 py-2 text-right tabular-nums ${dp.totalErrors ? 'font-semibold text-rose-600 dark:text-rose-400' : 'muted'}`}>{dp.totalErrors}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The control plane replica a dataplane is connected to ('this replica' when it is the one serving this page). */
export function ControlPlaneReplica({ controlPlane }: { controlPlane: DataplaneSummary['controlPlane'] }) {
  if (!controlPlane) return <span className="muted">—</span>;
  return (
    <span className="block truncate" title={controlPlane.url} aria-label={`Control plane replica ${controlPlane.replica}${controlPlane.self ? ' (this replica)' : ''}`}>
      <span className="font-mono">{controlPlane.replica}</span>
      {controlPlane.self && <span className="muted block">this replica</span>}
    </span>
  );
}

/** What the dataplane runs, and what it should run when that differs (sent and not ACKed yet, or NACKed). */
export function ConfigVersion({ dp }: { dp: DataplaneSummary }) {
  return (
    <span className="block truncate" title={dp.upToDate ? 'up to date' : `expected ${dp.expectedVersion ?? '—'}${dp.pendingVersion ? `, ${dp.pendingVersion} sent` : ''}`}>
      {dp.configVersion ?? '—'}
      {!dp.upToDate && dp.expectedVersion && <span className="block text-amber-700 dark:text-amber-400">→ {dp.expectedVersion}</span>}
    </span>
  );
}

export function CaptureBadge({ mode }: { mode: string }) {
  const tone =
    mode === 'tproxy'
      ? 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300'
      : mode === 'redirect'
        ? 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300'
        : 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300';
  return <span className={`rounded px-1.5 py-0.5 font-mono text-xs ${tone}`}>{mode}</span>;
}
