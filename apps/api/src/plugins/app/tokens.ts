import type { MeshcapError } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AdminTokens, DataplaneTokens, isExpired } from '../../auth/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dataplaneTokens: DataplaneTokens;
    adminTokens: AdminTokens;
    /** Undefined when `token` is a valid admin token (known, not revoked, not expired); else the coded error. */
    checkAdminToken(token: string): Promise<MeshcapError | undefined>;
  }
}

export interface TokensOptions {
  adminToken: string;
  /** Lifetime of admin tokens (default Kuma's 10 years); the bootstrap token's counts from its first start. */
  adminTokenValidForMs?: number;
  /** How often connected dataplanes' tokens are checked for expiry (default 30 s). */
  expirySweepMs?: number;
}

export default fp(
  async function tokensPlugin(fastify: FastifyInstance, opts: TokensOptions) {
    fastify.decorate('dataplaneTokens', new DataplaneTokens(fastify.store));
    const admin = new AdminTokens(fastify.store, opts.adminToken, opts.adminTokenValidForMs);
    await admin.recordBootstrap();
    fastify.decorate('adminTokens', admin);
    fastify.decorate('checkAdminToken', (token: string) => admin.check(token));

    // A dataplane whose token expires while it is connected is cut off, as a revoked one is.
    const cut = new Set<string>();
    const sweep = async () => {
      for (const t of await fastify.store.listTokens()) {
        if (t.kind !== 'dataplane' || cut.has(t.id) || !isExpired(t)) continue;
        cut.add(t.id);
        fastify.dataplanes.disconnectToken(t.id);
        fastify.xds.disconnectToken(t.id);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    fastify.addHook('onReady', async () => {
      timer = setInterval(() => {
        sweep().catch((err: unknown) => fastify.log.warn({ err }, 'token expiry sweep failed'));
      }, opts.expirySweepMs ?? 30_000);
      timer.unref();
    });
    fastify.addHook('onClose', (_instance, done) => {
      clearInterval(timer);
      done();
    });
  },
  { name: 'tokens', dependencies: ['catalog'] },
);
