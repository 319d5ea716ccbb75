'use client';

import { useCallback, useMemo, useState } from 'react';
import { ErrorBox } from '../../../components/error-box.tsx';
import { Empty } from '../../../components/query-state.tsx';
import { formatCount } from '../../../lib/format.ts';
import { useUrlState } from '../../../lib/url-state.ts';
import { useFlow } from '../api/get-flow.ts';
import { useFlowStream, useLiveFlows } from '../api/stream-flows.ts';
import type { Flow } from '../api/types.ts';
import { filterFlows, flowFiltersFromUrl, flowFiltersToUrl, type FlowFilters } from '../flow-filter.ts';
import { FlowDrawer } from './flow-drawer.tsx';
import { FlowFilterBar } from './flow-filter-bar.tsx';
import { FlowTable } from './flow-table.tsx';
import { StreamIndicator } from './stream-indicator.tsx';

const distinct = (values: string[]) => [...new Set(values)].sort();

/**
 * Live flows: the SSE-fed buffer, filtered, in a virtualized table, with a detail drawer.
 * Pausing freezes what is shown while the stream keeps filling the buffer, so nothing is missed;
 * so does focus on a row, so the row a keyboard user is on does not move under them.
 * The filters and the open flow live in the URL (`?verdict=denied&q=…&flow=<id>`).
 */
export function FlowExplorer({ scope }: { scope?: { mesh: string; dataplane: string } }) {
  const { status, seedError } = useFlowStream();
  const live = useLiveFlows();
  const [url, writeUrl] = useUrlState();
  const [frozen, setFrozen] = useState<Flow[] | null>(null);
  const [held, setHeld] = useState<Flow[] | null>(null);
  const filters = useMemo(() => flowFiltersFromUrl(url), [url]);
  const setFilters = useCallback((f: FlowFilters) => writeUrl(flowFiltersToUrl(f)), [writeUrl]);
  const selectedId = url.get('flow');
  const select = useCallback((f: Flow) => writeUrl({ flow: f.id }, 'push'), [writeUrl]);
  const open = useCallback((id: string) => writeUrl({ flow: id }, 'push'), [writeUrl]);
  const close = useCallback(() => writeUrl({ flow: null }), [writeUrl]);
  // Moving between rows keeps the snapshot taken when focus entered the table.
  const onRowFocus = useCallback((focused: boolean) => setHeld((h) => (focused ? (h ?? live.flows) : null)), [live.flows]);

  const shownAll = frozen ?? held ?? live.flows;
  const scoped = useMemo(() => (scope ? shownAll.filter((f) => f.mesh === scope.mesh && f.dataplane === scope.dataplane) : shownAll), [shownAll, scope]);
  const rows = useMemo(() => filterFlows(scoped, filters), [scoped, filters]);
  const dataplanes = useMemo(() => distinct(live.flows.map((f) => f.dataplane)), [live.flows]);
  const protocols = useMemo(() => distinct(['tcp', 'http', ...live.flows.map((f) => f.protocol)]), [live.flows]);
  const still = frozen ?? held;
  const newerWhileStill = still ? newerThan(live.flows, still[0]) : 0;

  // The open flow: from this tab's buffer, else (a shared link, an old flow) from the control plane.
  const known = selectedId ? (live.flows.find((f) => f.id === selectedId) ?? still?.find((f) => f.id === selectedId)) : undefined;
  const fetched = useFlow(selectedId, !known);
  const selected = known ?? fetched.data;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <FlowFilterBar filters={filters} onChange={setFilters} dataplanes={dataplanes} protocols={protocols} showDataplane={!scope} />
        <div className="flex items-center gap-3">
          <StreamIndicator status={status} paused={frozen !== null} />
          <button type="button" className="btn-secondary" aria-pressed={frozen !== null} onClick={() => setFrozen(frozen ? null : (held ?? live.flows))}>
            {frozen ? 'Resume' : 'Pause'}
          </button>
        </div>
      </div>
      <p className="muted text-xs" aria-live="polite">
        Showing {formatCount(rows.length)} of {formatCount(scoped.length)} flows
        {still && newerWhileStill > 0 && ` · ${formatCount(newerWhileStill)} new ${frozen ? 'since paused' : 'held while a row has focus'}`}
        {live.trimmed > 0 && ` · ${formatCount(live.trimmed)} older flows let go by this browser (keeps the newest ${formatCount(live.flows.length)})`}
        {live.dropped > 0 && ` · ${formatCount(live.dropped)} dropped by the control plane's buffer`}
      </p>
      {seedError ? <ErrorBox title="Could not load recent flows" error={seedError} /> : null}
      {rows.length === 0 ? (
        <Empty>
          {scoped.length === 0 ? (status === 'open' ? 'No flows yet. New ones appear here as they happen.' : 'Waiting for the flow stream…') : 'No flow matches these filters.'}
        </Empty>
      ) : (
        <FlowTable flows={rows} selectedId={selectedId} onSelect={select} onRowFocus={onRowFocus} label={scope ? `Flows of ${scope.dataplane}` : 'Flows'} />
      )}
      {selectedId && fetched.isError && !known ? <ErrorBox title={`Flow ${selectedId} is no longer kept`} error={fetched.error} /> : null}
      {selected && <FlowDrawer flow={selected} onClose={close} onOpenFlow={open} />}
    </div>
  );
}

function newerThan(flows: Flow[], mark: Flow | undefined): number {
  if (!mark) return flows.length;
  const i = flows.findIndex((f) => f.id === mark.id);
  return i === -1 ? flows.length : i;
}
