import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, apiFetch, seg } from '../../../lib/api-client.ts';
import { mtlsKeys } from './keys.ts';
import type { DataplaneCertificate } from './types.ts';

/** The dataplane's certificate, or null when it has none (mTLS off, or not connected yet: the API answers 404). */
export async function getDataplaneCertificate(mesh: string, name: string, signal?: AbortSignal): Promise<DataplaneCertificate | null> {
  try {
    return await apiFetch<DataplaneCertificate>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/certificate`, { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export const dataplaneCertificateQueryOptions = (mesh: string, name: string) =>
  queryOptions({ queryKey: mtlsKeys.certificate(mesh, name), queryFn: ({ signal }) => getDataplaneCertificate(mesh, name, signal), refetchInterval: 10_000 });

export function useDataplaneCertificate(mesh: string, name: string) {
  return useQuery(dataplaneCertificateQueryOptions(mesh, name));
}
