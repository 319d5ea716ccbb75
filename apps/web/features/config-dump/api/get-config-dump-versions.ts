import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { configDumpKeys } from './keys.ts';
import type { ConfigDumpVersionList } from './types.ts';

export function getConfigDumpVersions(mesh: string, name: string, signal?: AbortSignal): Promise<ConfigDumpVersionList> {
  return apiFetch<ConfigDumpVersionList>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/config_dump/versions`, { signal });
}

export const configDumpVersionsQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: configDumpKeys.versions(mesh, name), queryFn: ({ signal }) => getConfigDumpVersions(mesh, name, signal), refetchInterval: 10_000 });

export function useConfigDumpVersions(mesh: string, name: string) {
  return useQuery(configDumpVersionsQueryOptions(mesh, name));
}
