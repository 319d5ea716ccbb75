import { dataplaneKeys } from '../../dataplanes/api/keys.ts';
import { meshKeys } from '../../meshes/api/keys.ts';

export const policyKeys = {
  forDataplane: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'policies'] as const,
  list: (mesh: string) => [...meshKeys.one(mesh), 'policies', 'list'] as const,
  affected: (mesh: string, type: string, name: string) => [...meshKeys.one(mesh), 'policies', type, name, 'dataplanes'] as const,
};
