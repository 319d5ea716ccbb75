'use client';

import { useId } from 'react';
import type { FlowFilters } from '../flow-filter.ts';

function Select({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="muted text-xs font-medium">
        {label}
      </label>
      <select id={id} className="field min-w-28" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

export function FlowFilterBar({
  filters,
  onChange,
  dataplanes,
  protocols,
  showDataplane = true,
}: {
  filters: FlowFilters;
  onChange: (f: FlowFilters) => void;
  dataplanes: string[];
  protocols: string[];
  showDataplane?: boolean;
}) {
  const textId = useId();
  const set = (patch: Partial<FlowFilters>) => onChange({ ...filters, ...patch });
  return (
    <div role="search" aria-label="Flow filters" className="flex flex-wrap items-end gap-3">
      {showDataplane && <Select label="Dataplane" value={filters.dataplane} options={dataplanes} onChange={(dataplane) => set({ dataplane })} />}
      <Select label="Direction" value={filters.direction} options={['inbound', 'outbound']} onChange={(direction) => set({ direction })} />
      <Select label="Verdict" value={filters.verdict} options={['forwarded', 'denied', 'faulted', 'error']} onChange={(verdict) => set({ verdict })} />
      <Select label="Protocol" value={filters.protocol} options={protocols} onChange={(protocol) => set({ protocol })} />
      <div className="flex min-w-48 flex-1 flex-col gap-1">
        <label htmlFor={textId} className="muted text-xs font-medium">
          Search flows
        </label>
        <input
          id={textId}
          type="search"
          className="field"
          placeholder="address, path, policy, id…"
          value={filters.text}
          onChange={(e) => set({ text: e.target.value })}
        />
      </div>
    </div>
  );
}
