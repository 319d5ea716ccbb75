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
