import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { policyKeys } from './keys.ts';
import type { AffectedDataplaneList } from './types.ts';

export function getAffectedDataplanes(mesh: string, type: string, name: string, signal?: AbortSignal): Promise<AffectedDataplaneList> {
  return apiFetch<AffectedDataplaneList>(`/api/meshes/${seg(mesh)}/policies/${seg(type)}/${seg(name)}/dataplanes`, { signal });
}

export const affectedDataplanesQueryOptions = (mesh: string, type: string, name: string) =>
  queryOptions({ queryKey: policyKeys.affected(mesh, type, name), queryFn: ({ signal }) => getAffectedDataplanes(mesh, type, name, signal), refetchInterval: 10_000 });

export function useAffectedDataplanes(mesh: string, type: string, name: string) {
  return useQuery(affectedDataplanesQueryOptions(mesh, type, name));
}
