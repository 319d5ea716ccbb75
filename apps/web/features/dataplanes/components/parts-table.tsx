'use client';

import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { QueryState } from '../../../components/query-state.tsx';

/** A column: its heading and its width (the table is fixed-layout); the first is the name's. */
export interface PartsColumn {
  title: string;
  /** A Tailwind width, e.g. `w-[14%]`. */
  width: string;
}

/**
 * The tables of a dataplane's running parts (listeners, clusters), one look for all: the query's
 * loading, error and empty states, a line on where the data comes from, then a row per part headed
 * by its name with a muted line under it, and the part's own cells.
 */
export function PartsTable<D extends { items: readonly unknown[] }>({
  query,
  title,
  intro,
  columns,
  name,
  detail,
  cells,
}: {
  query: UseQueryResult<D>;
  /** `Listeners`: the table's label; lower-cased, what is loading and what there is none of. */
  title: string;
  intro: (data: D) => ReactNode;
  columns: readonly PartsColumn[];
  name: (part: D['items'][number]) => string;
  /** The muted line under the name. */
  detail: (part: D['items'][number]) => ReactNode;
  /** The part's `<td>`s, one per column after the name's. */
  cells: (part: D['items'][number]) => ReactNode;
}) {
  const label = title.toLowerCase();
  return (
    <QueryState query={query} label={label} isEmpty={(d) => d.items.length === 0} empty={`This dataplane has no ${label}.`}>
      {(d) => (
        <div className="space-y-2">
          <p className="muted text-xs">{intro(d)}</p>
          <div className="card overflow-hidden">
            <table className="w-full table-fixed text-sm" aria-label={title}>
              <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/80 dark:text-slate-400">
                <tr>
                  {columns.map((c) => (
                    <th key={c.title} className={`${c.width} px-3 py-2`}>
                      {c.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.items.map((part) => (
                  <tr key={name(part)} className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/70">
                    <th scope="row" className="px-3 py-2 text-left font-mono text-xs font-medium break-all">
                      {/* the name first, then a space: "inbound:passthrough:ipv4 inbound · tcp · …" */}
                      {name(part)} <span className="muted mt-0.5 block font-sans font-normal">{detail(part)}</span>
                    </th>
                    {cells(part)}
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
