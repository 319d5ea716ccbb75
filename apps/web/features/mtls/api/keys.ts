import { dataplaneKeys } from '../../dataplanes/api/keys.ts';
import { meshKeys } from '../../meshes/api/keys.ts';

export const mtlsKeys = {
  mesh: (mesh: string) => [...meshKeys.one(mesh), 'mtls'] as const,
  certificate: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'certificate'] as const,
};
