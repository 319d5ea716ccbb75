import { dataplaneKeys } from '../../dataplanes/api/keys.ts';

export const ruleKeys = {
  forDataplane: (mesh: string, name: string) => [...dataplaneKeys.one(mesh, name), 'rules'] as const,
};
