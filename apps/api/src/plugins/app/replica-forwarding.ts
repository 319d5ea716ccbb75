import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { FORWARDED_HEADER, ReplicaForwarder } from '../../channel/replica-forward.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Replicas on a shared PostgreSQL store: asks the replica holding a dataplane (undefined on SQLite). */
    replicaForwarder: ReplicaForwarder | undefined;
  }
}

/**
 * Routes answered from what only the replica holding the dataplane has: what it reads from the
 * dataplane over the channel (stats, clusters, rules, config_dump from the dataplane), what it
 * derives from the version the dataplane ACKed there (listeners, config_dump versions and diff),
 * the certificate it issued the dataplane, and the golden metrics of the dataplane's flows.
 * (The dataplane's own page reads its live counters from the holder itself: see inspect/live.ts.)
 */
const HELD_ROUTES = new Set(
  ['listeners', 'clusters', 'stats', 'rules', 'trace', 'config_dump', 'config_dump/versions', 'config_dump/diff', 'certificate', 'metrics'].map((r) => `/api/meshes/:mesh/dataplanes/:name/${r}`),
);
/** Flow routes forwarded when they filter on one dataplane (its flows live where it is connected). */
const FLOW_ROUTES = new Set(['/api/flows', '/api/flows/stream']);

/** Which dataplane a request is about, when it is one whose answer lives with its holder. */
function heldDataplane(route: string | undefined, params: unknown, query: unknown): { mesh: string | undefined; name: string } | undefined {
  if (route !== undefined && HELD_ROUTES.has(route)) {
    const { mesh, name } = params as { mesh: string; name: string };
    return { mesh, name };
  }
  if (route !== undefined && FLOW_ROUTES.has(route)) {
    const { mesh, dataplane } = query as { mesh?: string; dataplane?: string };
    return dataplane ? { mesh, name: dataplane } : undefined;
  }
  return undefined;
}

/**
 * Forwards a request about a dataplane another replica holds to that replica, and answers with its
 * status, headers and body unchanged (a stream as a stream). After validation and the access check
 * (preHandler): a request this replica would refuse is refused here, not sent on.
 */
export default fp(
  async function replicaForwardingPlugin(fastify: FastifyInstance, opts: { controlPlaneCaPem?: string }) {
    const presence = fastify.replicaPresence;
    const forwarder = presence ? new ReplicaForwarder(presence, fastify.dataplanes, fastify.store, opts.controlPlaneCaPem) : undefined;
    fastify.decorate('replicaForwarder', forwarder);
    if (!forwarder) return;
    fastify.addHook('preHandler', async (request, reply) => {
      // A forwarded request is answered here, whatever this replica believes (no loops).
      if (request.headers[FORWARDED_HEADER] !== undefined) return;
      const target = heldDataplane(request.routeOptions.url, request.params, request.query);
      if (!target) return;
      const holder = forwarder.holderElsewhere(target.mesh, target.name);
      if (!holder) return;
      const res = await forwarder.send(
        { id: holder.replica, url: holder.replicaUrl },
        {
          method: request.method,
          path: request.url,
          authorization: request.headers.authorization,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        },
      );
      // The caller went away (a closed flow stream): stop reading from the holder.
      reply.raw.on('close', () => res.body.destroy());
      return reply.code(res.status).headers({ ...res.headers, 'x-meshcap-answered-by': holder.replica }).send(res.body);
    });
  },
  { name: 'replica-forwarding', dependencies: ['dataplane-hub'] },
);
