import { useMutation } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import type { TraceRequest, TraceResult } from './types.ts';

/** A trace changes nothing, so it needs no token even though it is a POST. */
export function tracePacket(mesh: string, name: string, body: TraceRequest): Promise<TraceResult> {
  return apiFetch<TraceResult>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/trace`, { method: 'POST', body });
}

export function useTracePacket(mesh: string, name: string) {
  return useMutation({ mutationKey: ['trace', mesh, name], mutationFn: (body: TraceRequest) => tracePacket(mesh, name, body) });
}
