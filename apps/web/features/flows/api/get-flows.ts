import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-client.ts';
import { flowKeys } from './keys.ts';
import type { FlowList, FlowQuery } from './types.ts';

export function getFlows(q: FlowQuery, signal?: AbortSignal): Promise<FlowList> {
  return apiFetch<FlowList>('/api/flows', { query: { ...q }, signal });
}

export const flowsQueryOptions = (q: FlowQuery) => queryOptions({ queryKey: flowKeys.list(q), queryFn: ({ signal }) => getFlows(q, signal) });

export function useFlows(q: FlowQuery) {
  return useQuery(flowsQueryOptions(q));
}

/** The hops of one request (every flow with its `x-request-id`), oldest first; refreshed while hops may still arrive in later batches. */
export function useRequestHops(requestId: string | undefined) {
  return useQuery({
    ...flowsQueryOptions({ requestId, limit: 50 }),
    enabled: requestId !== undefined,
    refetchInterval: 3_000,
    // Start times are milliseconds: a caller's hop and its callee's often share one. The caller's
    // lasts at least as long (it encloses the callee's), so on a tie the longer hop comes first.
    select: (list) => [...list.items].sort((a, b) => a.start - b.start || b.timings.totalMs - a.timings.totalMs),
  });
}
