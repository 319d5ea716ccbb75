import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { apiUrl } from '../../../lib/api-client.ts';
import { getFlows } from './get-flows.ts';
import { flowKeys } from './keys.ts';
import type { Flow } from './types.ts';

/** The browser keeps at most this many flows; older ones fall off the end and are counted. */
export const LIVE_FLOW_LIMIT = 10_000;
/** Events are applied to the cache in batches, so a burst re-renders once, not per flow. */
const FLUSH_MS = 250;
const RECONNECT_MS = 3_000;

export interface LiveFlows {
  /** Newest first. */
  flows: Flow[];
  /** Flows this browser let go of to stay within LIVE_FLOW_LIMIT. */
  trimmed: number;
  /** Flows the control plane reported as dropped from its own buffer. */
  dropped: number;
}

const EMPTY: LiveFlows = { flows: [], trimmed: 0, dropped: 0 };

const newestFirst = (a: Flow, b: Flow) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : 0);

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
  const merged = !head || (last && last.startTime >= head.startTime) ? fresh.concat(base.flows) : fresh.concat(base.flows).sort(newestFirst);
  const over = Math.max(0, merged.length - limit);
  return { ...base, flows: over ? merged.slice(0, limit) : merged, trimmed: base.trimmed + over };
}

function addToCache(qc: QueryClient, flows: Flow[], dropped?: number) {
  qc.setQueryData<LiveFlows>(flowKeys.live(), (old) => {
    const next = mergeFlows(old, flows);
    return dropped !== undefined && dropped !== next.dropped ? { ...next, dropped } : next;
  });
}

/** The live buffer as a query: filled by `useFlowStream`, never fetched on its own. */
export function useLiveFlows(): LiveFlows {
  const { data } = useQuery({ queryKey: flowKeys.live(), queryFn: () => EMPTY, initialData: EMPTY, staleTime: Infinity, gcTime: Infinity });
  return data;
}

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'unsupported';

/**
 * Keeps the live buffer filled while mounted: the recent flows from `GET /api/flows` first, then
 * Server-Sent Events from `/api/flows/stream` (EventSource resumes with Last-Event-ID by itself).
 */
export function useFlowStream(): { status: StreamStatus; seedError: unknown } {
  const qc = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [seedError, setSeedError] = useState<unknown>(null);

  useEffect(() => {
    const seed = new AbortController();
    getFlows({ limit: 1000 }, seed.signal).then(
      (list) => addToCache(qc, list.items, list.dropped),
      (err: unknown) => !seed.signal.aborted && setSeedError(err),
    );
    if (typeof EventSource === 'undefined') {
      setStatus('unsupported');
      return () => seed.abort();
    }
    let pending: Flow[] = [];
    let dropped: number | undefined;
    const onData = (e: MessageEvent<string>) => {
      try {
        const data = JSON.parse(e.data) as Flow | Flow[] | { dropped: number };
        if (Array.isArray(data)) pending.push(...data);
        else if ('id' in data) pending.push(data);
        else if (typeof data.dropped === 'number') dropped = data.dropped;
      } catch {
        // a malformed event is skipped; the next one still counts
      }
    };
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      es = new EventSource(apiUrl('/api/flows/stream'));
      es.addEventListener('open', () => setStatus('open'));
      es.addEventListener('message', onData);
      es.addEventListener('flow', onData as EventListener);
      es.addEventListener('dropped', onData as EventListener);
      es.addEventListener('error', () => {
        setStatus('reconnecting');
        // EventSource retries by itself unless the server answered with an error status; then we do.
        if (es?.readyState === EventSource.CLOSED) {
          es.close();
          retry = setTimeout(connect, RECONNECT_MS);
        }
      });
    };
    connect();
    const timer = setInterval(() => {
      if (pending.length === 0 && dropped === undefined) return;
      addToCache(qc, pending, dropped);
      pending = [];
      dropped = undefined;
    }, FLUSH_MS);
    return () => {
      seed.abort();
      es?.close();
      clearTimeout(retry);
      clearInterval(timer);
    };
  }, [qc]);

  return { status, seedError };
}
