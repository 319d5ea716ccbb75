/** Dashboard path of a dataplane page (next/link adds the `/gui` base path). */
export function dataplaneHref(mesh: string, name: string, tab?: string): string {
  const base = `/meshes/${encodeURIComponent(mesh)}/dataplanes/${encodeURIComponent(name)}`;
  return tab ? `${base}/${tab}` : base;
}
