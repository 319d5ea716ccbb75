import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { dataplaneKeys } from './keys.ts';
import type { ListenerList } from './types.ts';

export function getListeners(mesh: string, name: string, signal?: AbortSignal): Promise<ListenerList> {
  return apiFetch<ListenerList>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/listeners`, { signal });
}

export const listenersQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: dataplaneKeys.listeners(mesh, name), queryFn: ({ signal }) => getListeners(mesh, name, signal), refetchInterval: 3_000 });

export function useListeners(mesh: string, name: string) {
  return useQuery(listenersQueryOptions(mesh, name));
}
