import { meshKeys } from '../../meshes/api/keys.ts';
import type { Direction } from './types.ts';

/**
 * Everything about one dataplane sits under `one(mesh, name)`, so a change to it (a policy toggle)
 * invalidates its detail, listeners, policies, config dumps and diagrams with one prefix.
 */
export const dataplaneKeys = {
  list: (mesh: string) => [...meshKeys.one(mesh), 'dataplanes', 'list'] as const,
  one: (mesh: string, name: string) => [...meshKeys.one(mesh), 'dataplanes', name] as const,
  detail: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'detail'] as const,
  listeners: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'listeners'] as const,
  clusters: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'clusters'] as const,
  diagram: (mesh: string, name: string, direction: Direction) => [...dataplaneKeys.one(mesh, name), 'diagram', direction] as const,
};
