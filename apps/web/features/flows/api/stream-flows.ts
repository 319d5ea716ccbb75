import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { apiUrl } from '../../../lib/api-client.ts';
import { followEventStream } from '../../../lib/event-stream.ts';
import { getFlows } from './get-flows.ts';
import { flowKeys } from './keys.ts';
import type { Flow, FlowStreamDrops } from './types.ts';

/** The browser keeps at most this many flows; older ones fall off the end and are counted. */
export const LIVE_FLOW_LIMIT = 10_000;
/** Events are applied to the cache in batches, so a burst re-renders once, not per flow. */
const FLUSH_MS = 250;
const RECONNECT_MS = 3_000;
const SEED_LIMIT = 1_000;

export interface LiveFlows {
  /** Newest first. */
  flows: Flow[];
  /** Flows this browser let go of: to stay within LIVE_FLOW_LIMIT, or unreadable events. */
  trimmed: number;
  /** Flows the control plane reported lost (its ring, dataplane buffers, this stream falling behind). */
  dropped: number;
}

const EMPTY: LiveFlows = { flows: [], trimmed: 0, dropped: 0 };

const newestFirst = (a: Flow, b: Flow) => b.start - a.start;

/** Adds flows to the live buffer: deduplicated by id (a resumed stream may repeat), newest first, bounded. */
export function mergeFlows(current: LiveFlows | undefined, incoming: Flow[], limit = LIVE_FLOW_LIMIT): LiveFlows {
  const base = current ?? EMPTY;
  if (incoming.length === 0) return base;
  const seen = new Set(base.flows.map((f) => f.id));
  const fresh: Flow[] = [];
  for (const f of incoming) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    fresh.push(f);
  }
  if (fresh.length === 0) return base;
  fresh.sort(newestFirst);
  const head = base.flows[0];
  const last = fresh[fresh.length - 1];
  // The usual case: everything new is newer than what we have, so it goes on top without a full sort.
  const merged = !head || (last && last.start >= head.start) ? fresh.concat(base.flows) : fresh.concat(base.flows).sort(newestFirst);
  const over = Math.max(0, merged.length - limit);
  return { ...base, flows: over ? merged.slice(0, limit) : merged, trimmed: base.trimmed + over };
}

/** `lost`: flows let go of before they reached the buffer (over the limit between flushes, unreadable). */
function addToCache(qc: QueryClient, flows: Flow[], dropped?: number, lost = 0) {
  qc.setQueryData<LiveFlows>(flowKeys.live(), (old) => {
    let next = mergeFlows(old, flows);
    if (lost > 0) next = { ...next, trimmed: next.trimmed + lost };
    return dropped !== undefined && dropped !== next.dropped ? { ...next, dropped } : next;
  });
}

/** The live buffer as a query: filled by `useFlowStream`, never fetched on its own. */
export function useLiveFlows(): LiveFlows {
  const { data } = useQuery({ queryKey: flowKeys.live(), queryFn: () => EMPTY, initialData: EMPTY, staleTime: Infinity, gcTime: Infinity });
  return data;
}

export type StreamStatus = 'connecting' | 'open' | 'reconnecting';

/**
 * Keeps the live buffer filled while mounted: the Server-Sent Events of `/api/flows/stream`
 * (resumed with Last-Event-ID after a drop) plus, once, the recent flows of `GET /api/flows`.
 * Events are parsed as they come and applied to the cache in batches.
 */
export function useFlowStream(): { status: StreamStatus; seedError: unknown } {
  const qc = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [seedError, setSeedError] = useState<unknown>(null);

  useEffect(() => {
    const stop = new AbortController();
    let pending: Flow[] = [];
    let lost = 0;
    let dropped: number | undefined;
    let seeded = false;
    // The recent flows are fetched once the stream is open, so nothing falls between the two
    // (what both carry is deduplicated by id).
    const seed = () => {
      if (seeded) return;
      seeded = true;
      getFlows({ limit: SEED_LIMIT }, stop.signal).then(
        (list) => addToCache(qc, list.items, list.dropped),
        (err: unknown) => !stop.signal.aborted && setSeedError(err),
      );
    };
    void followEventStream(apiUrl('/api/flows/stream'), {
      signal: stop.signal,
      retryMs: RECONNECT_MS,
      onOpen: () => {
        setStatus('open');
        seed();
      },
      onDrop: () => {
        setStatus('reconnecting');
        seed(); // shows why, when the control plane cannot be reached at all
      },
      onEvent: (e) => {
        try {
          if (e.event === 'dropped') dropped = (JSON.parse(e.data) as FlowStreamDrops).dropped;
          else if (e.event === 'flow' || e.event === 'message') {
            pending.push(JSON.parse(e.data) as Flow);
            // A hidden tab's timers are throttled: between flushes keep about what the buffer holds
            // (trimmed in bulk, so each event stays O(1)).
            if (pending.length >= 2 * LIVE_FLOW_LIMIT) lost += pending.splice(0, pending.length - LIVE_FLOW_LIMIT).length;
          }
        } catch {
          lost++; // an unreadable event: counted with the flows this browser let go of
        }
      },
    });
    const timer = setInterval(() => {
      if (pending.length === 0 && dropped === undefined && lost === 0) return;
      addToCache(qc, pending, dropped, lost);
      pending = [];
      lost = 0;
      dropped = undefined;
    }, FLUSH_MS);
    return () => {
      stop.abort();
      clearInterval(timer);
    };
  }, [qc]);

  return { status, seedError };
}
