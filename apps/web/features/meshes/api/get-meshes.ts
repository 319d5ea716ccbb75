import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-client.ts';
import { meshKeys } from './keys.ts';
import type { MeshList } from './types.ts';

export function getMeshes(signal?: AbortSignal): Promise<MeshList> {
  return apiFetch<MeshList>('/api/meshes', { signal });
}

export const meshesQueryOptions = () =>
  queryOptions({ queryKey: meshKeys.list(), queryFn: ({ signal }) => getMeshes(signal), refetchInterval: 15_000 });

export function useMeshes() {
  return useQuery(meshesQueryOptions());
}
