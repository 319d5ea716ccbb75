import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-client.ts';
import { flowKeys } from './keys.ts';
import type { FlowReasonList } from './types.ts';

/** The control plane's registry of flow reasons (code, Envoy flag, meaning): fixed for a build, so read once. */
export function getFlowReasons(signal?: AbortSignal): Promise<FlowReasonList> {
  return apiFetch<FlowReasonList>('/api/flow-reasons', { signal });
}

export const flowReasonsQueryOptions = () => queryOptions({ queryKey: flowKeys.reasons(), queryFn: ({ signal }) => getFlowReasons(signal), staleTime: Infinity });

export function useFlowReasons() {
  return useQuery(flowReasonsQueryOptions());
}
