import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MeshCatalog } from '../../catalog/index.ts';
import type { Store } from '../../store/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    catalog: MeshCatalog;
  }
}

export interface CatalogPluginOptions {
  store: Store;
  /** How often to look for other replicas' writes to a shared store (ms); 0: never. */
  pollMs?: number;
}

/** The store (owned by the caller) and the catalog over it: resources, toggles, compiled configs. */
export default fp(
  async function catalogPlugin(fastify: FastifyInstance, opts: CatalogPluginOptions) {
    const catalog = await MeshCatalog.open(opts.store, { pollMs: opts.pollMs, onError: (message) => fastify.log.warn(message) });
    for (const message of catalog.loadErrors) fastify.log.warn(message);
    fastify.decorate('store', opts.store);
    fastify.decorate('catalog', catalog);
    fastify.addHook('onClose', async () => catalog.close());
  },
  { name: 'catalog' },
);
