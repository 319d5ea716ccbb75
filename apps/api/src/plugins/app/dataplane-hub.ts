import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DataplaneHub } from '../../channel/dataplane-hub.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dataplanes: DataplaneHub;
    /** Serves the dataplane channel on another HTTP server too (the Unix socket one). */
    acceptDataplaneChannel(server: Server): void;
  }
}

/** The dataplane channel: HTTP Upgrade on the API's own servers (TCP and Unix socket). */
export default fp(
  async function dataplaneHubPlugin(fastify: FastifyInstance, opts: { heartbeatMs?: number }) {
    const hub = new DataplaneHub({
      catalog: fastify.catalog,
      tokens: fastify.dataplaneTokens,
      flows: fastify.flows,
      heartbeatMs: opts.heartbeatMs,
      log: (level, message) => fastify.log[level](message),
    });
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      hub.handleUpgrade(req, socket, head).catch((err: unknown) => {
        fastify.log.error({ err }, 'dataplane channel upgrade failed');
        socket.destroy();
      });
    };
    fastify.decorate('dataplanes', hub);
    fastify.decorate('acceptDataplaneChannel', (server: Server) => {
      server.on('upgrade', onUpgrade);
    });
    fastify.server.on('upgrade', onUpgrade);
    fastify.addHook('preClose', async () => hub.close());
  },
  { name: 'dataplane-hub', dependencies: ['catalog', 'flows', 'tokens'] },
);
