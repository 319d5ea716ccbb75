'use client';

import { QueryState } from '../../../components/query-state.tsx';
import { formatHostPort } from '../../../lib/format.ts';
import { useListeners } from '../api/get-listeners.ts';
import { StatTable } from './stat-table.tsx';

export function ListenerTable({ mesh, name }: { mesh: string; name: string }) {
  const q = useListeners(mesh, name);
  return (
    <QueryState query={q} label="listeners" isEmpty={(d) => d.items.length === 0} empty="This dataplane has no listeners.">
      {(d) => (
        <div className="space-y-2">
          <p className="muted text-xs">
            Config version <span className="font-mono">{d.configVersion}</span> ·{' '}
            {d.statsAvailable ? 'counters from the running dataplane, refreshed every 3 s' : 'no counters: the dataplane is not connected'}
          </p>
          <div className="card overflow-hidden">
            <table className="w-full table-fixed text-sm" aria-label="Listeners">
              <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/80 dark:text-slate-400">
                <tr>
                  <th className="w-[22%] px-3 py-2">Name</th>
                  <th className="w-[14%] px-3 py-2">Address</th>
                  <th className="w-[10%] px-3 py-2">Original dst</th>
                  <th className="w-[24%] px-3 py-2">Filters · cluster</th>
                  <th className="w-[30%] px-3 py-2">Counters</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((l) => (
                  <tr key={l.name} className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/70">
                    <th scope="row" className="px-3 py-2 text-left font-mono text-xs font-medium break-all">
                      {/* the name first, then a space: "inbound:passthrough:ipv4 inbound · tcp · …" */}
                      {l.name}{' '}
                      <span className="muted mt-0.5 block font-sans font-normal">
                        {[l.direction, l.protocol, l.capture, l.service, l.transparent ? 'transparent' : undefined, l.bind ? undefined : 'handed off, not bound'].filter(Boolean).join(' · ')}
                      </span>
                    </th>
                    <td className="px-3 py-2 font-mono text-xs break-all">{formatHostPort(l.address, l.port)}</td>
                    <td className="px-3 py-2 text-xs">{l.useOriginalDst ? 'yes' : 'no'}</td>
                    <td className="px-3 py-2">
                      <ol className="space-y-0.5 font-mono text-xs" aria-label={`Filters of ${l.name}`}>
                        {l.filters.map((f, i) => (
                          <li key={i} className="break-all">
                            {f}
                          </li>
                        ))}
                      </ol>
                      <p className="muted mt-1 font-mono text-xs break-all">→ {l.cluster}</p>
                    </td>
                    <td className="px-3 py-2">
                      <StatTable stats={l.stats} columns={1} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </QueryState>
  );
}
