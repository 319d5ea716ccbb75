import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { dataplaneKeys } from './keys.ts';
import type { DataplaneDetail } from './types.ts';

export function getDataplane(mesh: string, name: string, signal?: AbortSignal): Promise<DataplaneDetail> {
  return apiFetch<DataplaneDetail>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}`, { signal });
}

export const dataplaneQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: dataplaneKeys.detail(mesh, name), queryFn: ({ signal }) => getDataplane(mesh, name, signal), refetchInterval: 5_000 });

export function useDataplane(mesh: string, name: string) {
  return useQuery(dataplaneQueryOptions(mesh, name));
}
