import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DataplaneTokens, secretsEqual } from '../../auth/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dataplaneTokens: DataplaneTokens;
    /** True when `token` is the control plane's admin token (constant-time). */
    isAdminToken(token: string): boolean;
  }
}

export default fp(
  async function tokensPlugin(fastify: FastifyInstance, opts: { adminToken: string }) {
    fastify.decorate('dataplaneTokens', new DataplaneTokens(fastify.store));
    fastify.decorate('isAdminToken', (token: string) => secretsEqual(token, opts.adminToken));
  },
  { name: 'tokens', dependencies: ['catalog'] },
);
