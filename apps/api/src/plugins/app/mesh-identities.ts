import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MeshIdentities } from '../../mtls/mesh-identities.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The builtin CA of each mesh with mTLS and the dataplanes' certificates. */
    meshIdentities: MeshIdentities;
  }
}

export default fp(
  async function meshIdentitiesPlugin(fastify: FastifyInstance) {
    const identities = new MeshIdentities(fastify.store, (level, message) => fastify.log[level](message));
    fastify.decorate('meshIdentities', identities);
    fastify.addHook('onClose', async () => identities.close());
  },
  { name: 'mesh-identities', dependencies: ['catalog'] },
);
