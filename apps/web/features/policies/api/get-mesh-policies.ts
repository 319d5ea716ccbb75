import { queryOptions, useQueries, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { policyKeys } from './keys.ts';
import type { MeshPolicyList } from './types.ts';

export function getMeshPolicies(mesh: string, signal?: AbortSignal): Promise<MeshPolicyList> {
  return apiFetch<MeshPolicyList>(`/api/meshes/${seg(mesh)}/policies`, { signal });
}

export const meshPoliciesQueryOptions = (mesh: string) =>
  queryOptions({ queryKey: policyKeys.list(mesh), queryFn: ({ signal }) => getMeshPolicies(mesh, signal), refetchInterval: 10_000 });

export function useMeshPolicies(mesh: string) {
  return useQuery(meshPoliciesQueryOptions(mesh));
}

export function usePoliciesOfMeshes(meshes: string[]) {
  return useQueries({ queries: meshes.map((mesh) => meshPoliciesQueryOptions(mesh)) });
}
