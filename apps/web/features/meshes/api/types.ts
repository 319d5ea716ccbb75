/** Response shapes of the mesh routes (realign with apps/api/API.md). */
export interface Mesh {
  name: string;
  type?: 'Mesh';
  creationTime?: string;
  modificationTime?: string;
}

export interface MeshList {
  total: number;
  items: Mesh[];
}
