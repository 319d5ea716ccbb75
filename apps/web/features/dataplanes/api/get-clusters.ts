import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import type { components } from '../../../lib/api-types.ts';
import { dataplaneKeys } from './keys.ts';

/** `GET .../dataplanes/{name}/clusters`: what the running dataplane balances over (its /clusters). */
export type ClusterList = components['schemas']['ClusterList'];
export type Cluster = components['schemas']['Cluster'];

export function getClusters(mesh: string, name: string, signal?: AbortSignal): Promise<ClusterList> {
  return apiFetch<ClusterList>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/clusters`, { signal });
}

export const clustersQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: dataplaneKeys.clusters(mesh, name), queryFn: ({ signal }) => getClusters(mesh, name, signal), refetchInterval: 3_000 });

export function useClusters(mesh: string, name: string) {
  return useQuery(clustersQueryOptions(mesh, name));
}
