import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DataplaneHub } from '../../channel/dataplane-hub.ts';
import { ReplicaPresence } from '../../channel/replica-presence.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dataplanes: DataplaneHub;
    /** Replicas on a shared PostgreSQL store: which one holds each dataplane (undefined on SQLite: one control plane). */
    replicaPresence: ReplicaPresence | undefined;
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
    const presence = fastify.store.kind === 'postgres' ? new ReplicaPresence(fastify.store, hub.statuses, { log: (m) => fastify.log.warn(m) }) : undefined;
    fastify.decorate('replicaPresence', presence);
    if (presence) {
      fastify.addHook('onReady', async () => presence.start());
      fastify.addHook('preClose', async () => presence.close());
    }
    fastify.decorate('acceptDataplaneChannel', (server: Server) => {
      server.on('upgrade', onUpgrade);
    });
    fastify.server.on('upgrade', onUpgrade);
    fastify.addHook('preClose', async () => hub.close());
  },
  { name: 'dataplane-hub', dependencies: ['catalog', 'flows', 'tokens'] },
);
