import { queryOptions, useQueries, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { dataplaneKeys } from './keys.ts';
import type { DataplaneList } from './types.ts';

export function getDataplanes(mesh: string, signal?: AbortSignal): Promise<DataplaneList> {
  return apiFetch<DataplaneList>(`/api/meshes/${seg(mesh)}/dataplanes`, { signal });
}

export const dataplanesQueryOptions = (mesh: string) =>
  queryOptions({ queryKey: dataplaneKeys.list(mesh), queryFn: ({ signal }) => getDataplanes(mesh, signal), refetchInterval: 5_000 });

export function useDataplanes(mesh: string) {
  return useQuery(dataplanesQueryOptions(mesh));
}

/** The dataplanes of several meshes at once (the overview lists every mesh). */
export function useDataplanesOfMeshes(meshes: string[]) {
  return useQueries({ queries: meshes.map((mesh) => dataplanesQueryOptions(mesh)) });
}
