export type { Store, ResourceKey, StoredResource, ResourceBatch, ResourceChange, Toggle, TokenRecord, ConfigVersionRecord, DataplaneSession, ControlPlaneReplica, MeshCaRecord } from './store.ts';
export { resourceKey } from './store.ts';
export { openStore, sqliteFile, storeTarget, type StoreLocation } from './open-store.ts';
export { redactUrl, isStoreUnreachable } from './postgres-driver.ts';
