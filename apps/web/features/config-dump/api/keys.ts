import { dataplaneKeys } from '../../dataplanes/api/keys.ts';

export const configDumpKeys = {
  current: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'config-dump'] as const,
  versions: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'config-dump', 'versions'] as const,
  diff: (mesh: string, name: string, from: string, to: string) => [...dataplaneKeys.one(mesh, name), 'config-dump', 'diff', from, to] as const,
};
