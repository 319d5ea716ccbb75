/** Route params of every mesh page. */
export type MeshParams = Promise<{ mesh: string }>;

export async function meshParams(params: MeshParams): Promise<{ mesh: string }> {
  const { mesh } = await params;
  return { mesh: decodeURIComponent(mesh) };
}
