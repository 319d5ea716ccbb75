import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

const health = z.object({
  status: z.literal('ok'),
  uptimeSeconds: z.number(),
  store: z.object({ kind: z.enum(['sqlite', 'postgres']), location: z.string() }),
  dataplanes: z.object({ connected: z.number().int() }),
});

export default async function healthRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();
  fastify.get('/healthz', { schema: { summary: 'Liveness: the control plane answers and reaches its store', tags: ['system'], response: { 200: health } } }, async () => {
    await fastify.store.revision();
    return {
      status: 'ok' as const,
      uptimeSeconds: Math.round(process.uptime()),
      store: { kind: fastify.store.kind, location: fastify.store.location },
      dataplanes: { connected: fastify.dataplanes.connectedCount },
    };
  });
}
