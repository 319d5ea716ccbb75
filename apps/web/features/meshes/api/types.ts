/** Response shapes of the mesh routes (apps/api/src/schemas/meshes.ts), from the generated lib/api-types.ts. */
import type { components } from '../../../lib/api-types.ts';

export type Mesh = components['schemas']['Mesh'];
export type MeshList = components['schemas']['MeshList'];
