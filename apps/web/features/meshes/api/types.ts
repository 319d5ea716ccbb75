/** Response shapes of the mesh routes (apps/api/src/schemas/meshes.ts), from the generated lib/api-types.ts. */
export type { Mesh, MeshList } from '../../../lib/api-types.ts';
