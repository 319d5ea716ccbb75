import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, apiUrl, seg } from '../../../lib/api-client.ts';
import { configDumpKeys } from './keys.ts';
import type { ConfigDump } from './types.ts';

const path = (mesh: string, name: string) => `/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/config_dump`;

export function getConfigDump(mesh: string, name: string, signal?: AbortSignal): Promise<ConfigDump> {
  return apiFetch<ConfigDump>(path(mesh, name), { signal });
}

/** The API sends the dump as a `<name>-config_dump.json` attachment with `?download=1`. */
export function configDumpDownloadUrl(mesh: string, name: string): string {
  return apiUrl(path(mesh, name), { download: 1 });
}

export const configDumpQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: configDumpKeys.current(mesh, name), queryFn: ({ signal }) => getConfigDump(mesh, name, signal) });

export function useConfigDump(mesh: string, name: string) {
  return useQuery(configDumpQueryOptions(mesh, name));
}
