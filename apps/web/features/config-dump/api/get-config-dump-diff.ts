import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { configDumpKeys } from './keys.ts';
import type { ConfigDumpDiff } from './types.ts';

export function getConfigDumpDiff(mesh: string, name: string, from: string, to: string, signal?: AbortSignal): Promise<ConfigDumpDiff> {
  return apiFetch<ConfigDumpDiff>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/config_dump/diff`, { query: { from, to }, signal });
}

export const configDumpDiffQueryOptions = (mesh: string, name: string, from: string, to: string) =>
  queryOptions({
    queryKey: configDumpKeys.diff(mesh, name, from, to),
    queryFn: ({ signal }) => getConfigDumpDiff(mesh, name, from, to, signal),
    // two fixed versions never change
    staleTime: Infinity,
  });

export function useConfigDumpDiff(mesh: string, name: string, from: string, to: string) {
  return useQuery({ ...configDumpDiffQueryOptions(mesh, name, from, to), enabled: Boolean(from && to && from !== to) });
}
