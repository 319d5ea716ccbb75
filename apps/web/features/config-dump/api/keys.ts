import { dataplaneKeys } from '../../dataplanes/api/keys.ts';

export const configDumpKeys = {
  all: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'config-dump'] as const,
  /** `version` undefined: whatever the dataplane runs now. */
  dump: (mesh: string, name: string, version?: string) => [...configDumpKeys.all(mesh, name), 'dump', version ?? 'running'] as const,
  versions: (mesh: string, name: string) => [...configDumpKeys.all(mesh, name), 'versions'] as const,
  diff: (mesh: string, name: string, from: string, to: string) => [...configDumpKeys.all(mesh, name), 'diff', from, to] as const,
};
