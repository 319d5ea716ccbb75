import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { flowKeys } from './keys.ts';
import type { FlowDiagram } from './types.ts';

export function getFlowDiagram(id: string, signal?: AbortSignal): Promise<FlowDiagram> {
  return apiFetch<FlowDiagram>(`/api/flows/${seg(id)}/diagram`, { signal });
}

export const flowDiagramQueryOptions = (id: string) =>
  queryOptions({ queryKey: flowKeys.diagram(id), queryFn: ({ signal }) => getFlowDiagram(id, signal), staleTime: Infinity });

export function useFlowDiagram(id: string) {
  return useQuery(flowDiagramQueryOptions(id));
}
