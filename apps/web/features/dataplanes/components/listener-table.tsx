'use client';

import { formatHostPort } from '../../../lib/format.ts';
import { useListeners } from '../api/get-listeners.ts';
import { PartsTable } from './parts-table.tsx';
import { StatTable } from './stat-table.tsx';

const COLUMNS = [
  { title: 'Name', width: 'w-[22%]' },
  { title: 'Address', width: 'w-[14%]' },
  { title: 'Original dst', width: 'w-[10%]' },
  { title: 'Filters · cluster', width: 'w-[24%]' },
  { title: 'Counters', width: 'w-[30%]' },
];

export function ListenerTable({ mesh, name }: { mesh: string; name: string }) {
  const q = useListeners(mesh, name);
  return (
    <PartsTable
      query={q}
      title="Listeners"
      intro={(d) => (
        <>
          Config version <span className="font-mono">{d.configVersion}</span> ·{' '}
          {d.statsAvailable ? 'counters from the running dataplane, refreshed every 3 s' : 'no counters: the dataplane is not connected'}
        </>
      )}
      columns={COLUMNS}
      name={(l) => l.name}
      detail={(l) => [l.direction, l.protocol, l.capture, l.service, l.transparent ? 'transparent' : undefined, l.bind ? undefined : 'handed off, not bound'].filter(Boolean).join(' · ')}
      cells={(l) => (
        <>
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
        </>
      )}
    />
  );
}
