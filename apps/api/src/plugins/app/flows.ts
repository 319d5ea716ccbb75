import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { FlowHub } from '../../flows/flow-hub.ts';

declare module 'fastify' {
  interface FastifyInstance {
    flows: FlowHub;
  }
}

/** Flows from every dataplane, in memory, bounded. */
export default fp(
  async function flowsPlugin(fastify: FastifyInstance, opts: { capacity?: number }) {
    fastify.decorate('flows', new FlowHub(opts.capacity));
  },
  { name: 'flows' },
);
