import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { ruleKeys } from './keys.ts';
import type { RulesResult } from './types.ts';

export function getRules(mesh: string, name: string, signal?: AbortSignal): Promise<RulesResult> {
  return apiFetch<RulesResult>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/rules`, { signal });
}

export const rulesQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: ruleKeys.forDataplane(mesh, name), queryFn: ({ signal }) => getRules(mesh, name, signal), refetchInterval: 5_000 });

export function useRules(mesh: string, name: string) {
  return useQuery(rulesQueryOptions(mesh, name));
}
