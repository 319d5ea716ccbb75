import type { SubsetTag, TargetRef } from './api/types.ts';

/** `MeshService backend`, `MeshSubset version=v2`, `Mesh`. */
export function targetRefText(ref: TargetRef | undefined): string {
  if (!ref) return 'Mesh';
  const tags = ref.tags ? Object.entries(ref.tags).map(([k, v]) => `${k}=${v}`) : [];
  return [ref.kind, ref.name, ...tags, ref.sectionName ? `section ${ref.sectionName}` : undefined].filter(Boolean).join(' ');
}

/** `clients with kuma.io/service=web, version≠v1`, or `any client`. */
export function subsetText(subset: SubsetTag[]): string {
  if (subset.length === 0) return 'any client';
  return `clients with ${subset.map((t) => `${t.key}${t.not ? '≠' : '='}${t.value}`).join(', ')}`;
}
