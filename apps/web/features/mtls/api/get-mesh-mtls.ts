import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { mtlsKeys } from './keys.ts';
import type { MeshMtls } from './types.ts';

export function getMeshMtls(mesh: string, signal?: AbortSignal): Promise<MeshMtls> {
  return apiFetch<MeshMtls>(`/api/meshes/${seg(mesh)}/mtls`, { signal });
}

export const meshMtlsQueryOptions = (mesh: string) => queryOptions({ queryKey: mtlsKeys.mesh(mesh), queryFn: ({ signal }) => getMeshMtls(mesh, signal), refetchInterval: 10_000 });

export function useMeshMtls(mesh: string) {
  return useQuery(meshMtlsQueryOptions(mesh));
}
