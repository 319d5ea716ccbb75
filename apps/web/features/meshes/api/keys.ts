export const meshKeys = {
  all: ['meshes'] as const,
  list: () => [...meshKeys.all, 'list'] as const,
  /** Prefix of everything scoped to one mesh. */
  one: (mesh: string) => [...meshKeys.all, mesh] as const,
};
