'use client';

import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import { formatClock, formatHostPort, formatMs } from '../../../lib/format.ts';
import type { Flow } from '../api/types.ts';
import { directionText, policiesText, requestText } from '../flow-text.ts';
import { VerdictBadge } from './verdict-badge.tsx';

const ROW_HEIGHT = 36;
// One template for header and rows; fractions shrink so the table never scrolls sideways. The
// column order is a contract: the e2e suite reads cells by position (time … verdict, duration).
const COLUMNS = 'grid grid-cols-[6.5rem_minmax(0,0.8fr)_3.5rem_minmax(0,1.1fr)_minmax(0,1.1fr)_3rem_minmax(0,1.5fr)_5.5rem_4.5rem_minmax(0,1fr)] gap-x-2 px-3';

/**
 * Flows as a virtualized table: only the rows in view (plus a few) are in the DOM, so thousands of
 * flows scroll smoothly. Rows are `role="row"` in a `role="table"` grid; Enter or a click opens one.
 * The rows are one Tab stop: the arrow keys, Home and End move between them (`onRowFocus` says
 * when focus enters or leaves the rows, so the caller can keep them still meanwhile).
 */
export function FlowTable({
  flows,
  selectedId,
  onSelect,
  onRowFocus,
  label = 'Flows',
}: {
  flows: Flow[];
  selectedId?: string | null;
  onSelect: (flow: Flow) => void;
  onRowFocus?: (focused: boolean) => void;
  label?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const virtualizer = useVirtualizer({
    count: flows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => flows[i]?.id ?? i,
  });
  // The one row in the Tab order: the focused one, else the open one, else the first.
  const tabStop = [focusedId, selectedId].find((id) => id && flows.some((f) => f.id === id)) ?? flows[0]?.id;

  const moveFocus = (from: number, key: string): boolean => {
    const to = key === 'ArrowDown' ? from + 1 : key === 'ArrowUp' ? from - 1 : key === 'Home' ? 0 : key === 'End' ? flows.length - 1 : key === 'PageDown' ? from + 10 : key === 'PageUp' ? from - 10 : null;
    if (to === null) return false;
    const index = Math.max(0, Math.min(flows.length - 1, to));
    virtualizer.scrollToIndex(index);
    // The row may be rendered only after the scroll: focus it once it is.
    const focus = (tries: number) => {
      const row = scroller.current?.querySelector<HTMLElement>(`[aria-rowindex="${index + 2}"]`);
      if (row) row.focus();
      else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
    };
    focus(5);
    return true;
  };

  return (
    <div role="table" aria-label={label} aria-rowcount={flows.length + 1} className="card overflow-hidden text-sm">
      <div role="rowgroup" className="border-b border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-900/80">
        <div role="row" aria-rowindex={1} className={`${COLUMNS} py-2 text-xs font-medium tracking-wide text-slate-500 uppercase dark:text-slate-400`}>
          {['Time', 'Dataplane', 'Dir', 'Client', 'Original destination', 'Proto', 'Request', 'Verdict', 'Duration', 'Policies'].map((h) => (
            <div key={h} role="columnheader" className="truncate">
              {h}
            </div>
          ))}
        </div>
      </div>
      <div
        ref={scroller}
        role="rowgroup"
        data-testid="flow-scroller"
        className="h-[max(20rem,calc(100vh-18rem))] overflow-y-auto"
        onFocus={() => onRowFocus?.(true)}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) {
            setFocusedId(null);
            onRowFocus?.(false);
          }
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const f = flows[item.index];
            if (!f) return null;
            const selected = f.id === selectedId;
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={selected}
                tabIndex={f.id === tabStop ? 0 : -1}
                onFocus={() => setFocusedId(f.id)}
                onClick={() => onSelect(f)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onSelect(f);
                  } else if (moveFocus(item.index, e.key)) e.preventDefault();
                }}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                className={`${COLUMNS} cursor-pointer items-center border-b border-slate-100 outline-none hover:bg-slate-50 focus-visible:bg-sky-50 dark:border-slate-800/70 dark:hover:bg-slate-800/50 dark:focus-visible:bg-sky-950 ${
                  selected ? 'bg-sky-50 dark:bg-sky-950/60' : ''
                }`}
              >
                <div role="cell" className="font-mono text-xs tabular-nums">
                  {formatClock(f.start)}
                </div>
                <div role="cell" className="truncate" title={f.dataplane}>
                  {f.dataplane}
                </div>
                <div role="cell" className="text-xs">
                  {directionText(f)}
                </div>
                <div role="cell" className="truncate font-mono text-xs" title={formatHostPort(f.client.address, f.client.port)}>
                  {formatHostPort(f.client.address, f.client.port)}
                </div>
                <div role="cell" className="truncate font-mono text-xs" title={formatHostPort(f.destination.address, f.destination.port)}>
                  {formatHostPort(f.destination.address, f.destination.port)}
                </div>
                <div role="cell" className="text-xs uppercase">
                  {f.protocol}
                </div>
                <div role="cell" className="truncate font-mono text-xs" title={requestText(f)}>
                  {requestText(f)}
                </div>
                <div role="cell">
                  <VerdictBadge flow={f} />
                </div>
                <div role="cell" className="text-right font-mono text-xs tabular-nums">
                  {formatMs(f.timings.totalMs)}
                </div>
                <div role="cell" className="truncate text-xs text-violet-700 dark:text-violet-300" title={policiesText(f)}>
                  {policiesText(f)}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
