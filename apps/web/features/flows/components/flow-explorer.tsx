'use client';

import { useCallback, useMemo, useState } from 'react';
import { ErrorBox } from '../../../components/error-box.tsx';
import { Empty } from '../../../components/query-state.tsx';
import { formatCount } from '../../../lib/format.ts';
import { useFlowStream, useLiveFlows } from '../api/stream-flows.ts';
import type { Flow } from '../api/types.ts';
import { filterFlows, NO_FILTERS, type FlowFilters } from '../flow-filter.ts';
import { FlowDrawer } from './flow-drawer.tsx';
import { FlowFilterBar } from './flow-filter-bar.tsx';
import { FlowTable } from './flow-table.tsx';
import { StreamIndicator } from './stream-indicator.tsx';

const distinct = (values: string[]) => [...new Set(values)].sort();

/**
 * Live flows: the SSE-fed buffer, filtered, in a virtualized table, with a detail drawer.
 * Pausing freezes what is shown while the stream keeps filling the buffer, so nothing is missed.
 */
export function FlowExplorer({ scope }: { scope?: { mesh: string; dataplane: string } }) {
  const { status, seedError } = useFlowStream();
  const live = useLiveFlows();
  const [frozen, setFrozen] = useState<Flow[] | null>(null);
  const [filters, setFilters] = useState<FlowFilters>(NO_FILTERS);
  const [selected, setSelected] = useState<Flow | null>(null);
  const close = useCallback(() => setSelected(null), []);

  const scoped = useMemo(() => {
    const all = frozen ?? live.flows;
    return scope ? all.filter((f) => f.mesh === scope.mesh && f.dataplane === scope.dataplane) : all;
  }, [frozen, live.flows, scope]);
  const rows = useMemo(() => filterFlows(scoped, filters), [scoped, filters]);
  const dataplanes = useMemo(() => distinct(live.flows.map((f) => f.dataplane)), [live.flows]);
  const protocols = useMemo(() => distinct(['tcp', 'http', ...live.flows.map((f) => f.protocol)]), [live.flows]);
  const newerWhilePaused = frozen ? newerThan(live.flows, frozen[0]) : 0;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <FlowFilterBar filters={filters} onChange={setFilters} dataplanes={dataplanes} protocols={protocols} showDataplane={!scope} />
        <div className="flex items-center gap-3">
          <StreamIndicator status={status} paused={frozen !== null} />
          <button type="button" className="btn-secondary" aria-pressed={frozen !== null} onClick={() => setFrozen(frozen ? null : live.flows)}>
            {frozen ? 'Resume' : 'Pause'}
          </button>
        </div>
      </div>
      <p className="muted text-xs" aria-live="polite">
        Showing {formatCount(rows.length)} of {formatCount(scoped.length)} flows
        {frozen && newerWhilePaused > 0 && ` · ${formatCount(newerWhilePaused)} new since paused`}
        {live.trimmed > 0 && ` · ${formatCount(live.trimmed)} older flows let go by this browser (keeps the newest ${formatCount(live.flows.length)})`}
        {live.dropped > 0 && ` · ${formatCount(live.dropped)} dropped by the control plane's buffer`}
      </p>
      {seedError ? <ErrorBox title="Could not load recent flows" error={seedError} /> : null}
      {rows.length === 0 ? (
        <Empty>
          {scoped.length === 0 ? (status === 'open' ? 'No flows yet. New ones appear here as they happen.' : 'Waiting for the flow stream…') : 'No flow matches these filters.'}
        </Empty>
      ) : (
        <FlowTable flows={rows} selectedId={selected?.id} onSelect={setSelected} label={scope ? `Flows of ${scope.dataplane}` : 'Flows'} />
      )}
      {selected && <FlowDrawer flow={selected} onClose={close} />}
    </div>
  );
}

function newerThan(flows: Flow[], mark: Flow | undefined): number {
  if (!mark) return flows.length;
  const i = flows.findIndex((f) => f.id === mark.id);
  return i === -1 ? flows.length : i;
}
