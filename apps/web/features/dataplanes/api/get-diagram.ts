import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { dataplaneKeys } from './keys.ts';
import type { Direction, PathDiagram } from './types.ts';

export function getDiagram(mesh: string, name: string, direction: Direction, signal?: AbortSignal): Promise<PathDiagram> {
  return apiFetch<PathDiagram>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(name)}/diagram`, { query: { direction }, signal });
}

export const diagramQueryOptions = (mesh: string, name: string, direction: Direction) =>
  queryOptions({ queryKey: dataplaneKeys.diagram(mesh, name, direction), queryFn: ({ signal }) => getDiagram(mesh, name, direction, signal) });

export function useDiagram(mesh: string, name: string, direction: Direction) {
  return useQuery(diagramQueryOptions(mesh, name, direction));
}
