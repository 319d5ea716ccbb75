import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { policyKeys } from './keys.ts';
import type { DataplanePolicies } from './types.ts';

export function getDataplanePolicies(mesh: string, name: string, signal?: AbortSignal): Promise<DataplanePolicies> {
  return apiFetch<DataplanePolicies>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/policies`, { signal });
}

export const dataplanePoliciesQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: policyKeys.forDataplane(mesh, name), queryFn: ({ signal }) => getDataplanePolicies(mesh, name, signal) });

export function useDataplanePolicies(mesh: string, name: string) {
  return useQuery(dataplanePoliciesQueryOptions(mesh, name));
}
