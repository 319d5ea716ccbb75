import { loadProtoJsonCodec } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AdsServer, catalogNodeResources } from '../../xds-server/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The ADS server; it listens where `startControlPlane` tells it (`xds.listen`). */
    xds: AdsServer;
  }
}

/** The ADS server shares the catalog, the tokens and the dataplane statuses with the API and the channel. */
export default fp(
  async function xdsServerPlugin(fastify: FastifyInstance) {
    const server = new AdsServer({
      catalog: fastify.catalog,
      tokens: fastify.dataplaneTokens,
      statuses: fastify.dataplanes.statuses,
      codec: await loadProtoJsonCodec(),
      resources: catalogNodeResources(fastify.catalog, fastify.meshIdentities),
      identities: fastify.meshIdentities,
      log: (level, message) => fastify.log[level](message),
    });
    fastify.decorate('xds', server);
    fastify.addHook('preClose', async () => server.close());
  },
  { name: 'xds-server', dependencies: ['catalog', 'tokens', 'dataplane-hub', 'mesh-identities'] },
);
