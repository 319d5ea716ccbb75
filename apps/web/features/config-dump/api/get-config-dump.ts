import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { configDumpKeys } from './keys.ts';
import type { ConfigDump } from './types.ts';

const path = (mesh: string, name: string) => `/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/config_dump`;

/** The dump of `version`, or of what the dataplane runs (else the newest) when none is given. */
export function getConfigDump(mesh: string, name: string, version?: string, signal?: AbortSignal): Promise<ConfigDump> {
  return apiFetch<ConfigDump>(path(mesh, name), { query: { version }, signal });
}

export const configDumpQueryOptions = (mesh: string, name: string, version?: string) =>
  queryOptions({ queryKey: configDumpKeys.dump(mesh, name, version), queryFn: ({ signal }) => getConfigDump(mesh, name, version, signal) });

export function useConfigDump(mesh: string, name: string, version?: string) {
  return useQuery(configDumpQueryOptions(mesh, name, version));
}
