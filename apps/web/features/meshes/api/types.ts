/** Response shapes of the mesh routes, as apps/api/src/schemas/meshes.ts declares them. */
export interface Mesh {
  type: 'Mesh';
  name: string;
  creationTime: string;
  modificationTime: string;
  dataplanes: { total: number; online: number };
  /** How many policies the mesh holds. */
  policies: number;
  /** The Mesh resource as stored. */
  resource: Record<string, unknown>;
}

export interface MeshList {
  total: number;
  items: Mesh[];
}
