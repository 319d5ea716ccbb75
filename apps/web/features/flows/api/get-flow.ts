import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { flowKeys } from './keys.ts';
import type { Flow } from './types.ts';

/** One flow by id, from the control plane's buffer (a link may name one this tab never received). */
export function getFlow(id: string, signal?: AbortSignal): Promise<Flow> {
  return apiFetch<Flow>(`/api/flows/${seg(id)}`, { signal });
}

export const flowQueryOptions = (id: string) => queryOptions({ queryKey: flowKeys.one(id), queryFn: ({ signal }) => getFlow(id, signal), staleTime: Infinity });

export function useFlow(id: string | null, enabled: boolean) {
  return useQuery({ ...flowQueryOptions(id ?? ''), enabled: enabled && Boolean(id) });
}
