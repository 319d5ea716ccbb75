/** Dashboard path of a mesh page (next/link adds the `/gui` base path). */
export function meshHref(mesh: string): string {
  return `/meshes/${encodeURIComponent(mesh)}`;
}

/** Dashboard path of a mesh's dataplane list. */
export function meshDataplanesHref(mesh: string): string {
  return `${meshHref(mesh)}/dataplanes`;
}

/** Dashboard path of a dataplane page (next/link adds the `/gui` base path). */
export function dataplaneHref(mesh: string, name: string, tab?: string): string {
  const base = `${meshDataplanesHref(mesh)}/${encodeURIComponent(name)}`;
  return tab ? `${base}/${tab}` : base;
}

/** Dashboard path of a service page (its golden metrics and dataplanes). */
export function serviceHref(mesh: string, service: string): string {
  return `${meshHref(mesh)}/services/${encodeURIComponent(service)}`;
}
