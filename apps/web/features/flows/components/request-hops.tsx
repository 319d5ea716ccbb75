'use client';

import { formatMs } from '../../../lib/format.ts';
import { useRequestHops } from '../api/get-flows.ts';
import { directionText, requestText } from '../flow-text.ts';
import type { Flow } from '../api/types.ts';
import { VerdictBadge } from './verdict-badge.tsx';

/**
 * Every flow that carried this flow's `x-request-id`, in the order they started: the caller's
 * outbound, the callee's inbound, and on through the services it called. Each opens its own details.
 */
export function RequestHops({ flow, onOpen }: { flow: Flow; onOpen?: (id: string) => void }) {
  const requestId = flow.http?.requestId;
  const hops = useRequestHops(requestId);
  if (!requestId) return null;
  const items = hops.data ?? [];
  return (
    <div>
      <p className="muted mb-1 text-xs">
        Flows with <span className="font-mono">x-request-id {requestId}</span>
        {hops.isPending ? ' — loading…' : hops.isError ? ' — could not load them' : ` — ${items.length} ${items.length === 1 ? 'hop' : 'hops'}`}
      </p>
      <ol className="space-y-1" aria-label="Hops of this request">
        {items.map((h, i) => {
          const current = h.id === flow.id;
          return (
            <li key={h.id}>
              <button
                type="button"
                aria-current={current ? 'true' : undefined}
                disabled={current || !onOpen}
                onClick={() => onOpen?.(h.id)}
                className={`flex w-full items-center gap-2 rounded border px-2 py-1 text-left text-xs ${current ? 'border-sky-500 bg-sky-50 dark:border-sky-400 dark:bg-sky-950/60' : 'border-slate-200 hover:bg-slate-50 dark:border-slate-800 dark:hover:bg-slate-800/50'}`}
              >
                <span className="muted w-4 tabular-nums">{i + 1}</span>
                <span className="w-20 truncate font-medium">{h.dataplane}</span>
                <span className="w-12">{directionText(h)}</span>
                <span className="min-w-0 flex-1 truncate font-mono">{requestText(h)}</span>
                <VerdictBadge flow={h} />
                <span className="w-16 text-right font-mono tabular-nums">{formatMs(h.timings.totalMs)}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
