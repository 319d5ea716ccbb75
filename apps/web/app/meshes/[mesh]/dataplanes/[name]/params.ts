/** Route params of every dataplane page. */
export type DataplaneParams = Promise<{ mesh: string; name: string }>;

export async function dataplaneParams(params: DataplaneParams): Promise<{ mesh: string; name: string }> {
  const { mesh, name } = await params;
  return { mesh: decodeURIComponent(mesh), name: decodeURIComponent(name) };
}
