'use client';

import { LabeledField } from '../../../components/labeled-field.tsx';
import type { FlowFilters } from '../flow-filter.ts';

function Select({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <LabeledField label={label}>
      {(id) => (
        <select id={id} className="field min-w-28" value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">All</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )}
    </LabeledField>
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
  const set = (patch: Partial<FlowFilters>) => onChange({ ...filters, ...patch });
  return (
    <div role="search" aria-label="Flow filters" className="flex flex-wrap items-end gap-3">
      {showDataplane && <Select label="Dataplane" value={filters.dataplane} options={dataplanes} onChange={(dataplane) => set({ dataplane })} />}
      <Select label="Direction" value={filters.direction} options={['inbound', 'outbound']} onChange={(direction) => set({ direction })} />
      <Select label="Verdict" value={filters.verdict} options={['forwarded', 'denied', 'faulted', 'error']} onChange={(verdict) => set({ verdict })} />
      <Select label="Protocol" value={filters.protocol} options={protocols} onChange={(protocol) => set({ protocol })} />
      <LabeledField label="Search flows" className="min-w-48 flex-1">
        {(id) => <input id={id} type="search" className="field" placeholder="address, path, policy, id…" value={filters.text} onChange={(e) => set({ text: e.target.value })} />}
      </LabeledField>
    </div>
  );
}
