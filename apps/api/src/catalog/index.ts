export { MeshCatalog, DEFAULT_MESH, storeKey, type ApplyInput, type ApplyResult, type BatchValidator } from './mesh-catalog.ts';
