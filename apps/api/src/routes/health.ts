import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

const health = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });

export default async function healthRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();
  fastify.get('/healthz', { schema: { summary: 'Liveness: the control plane answers', tags: ['system'], response: { 200: health } } }, async () => ({
    status: 'ok' as const,
    uptimeSeconds: Math.round(process.uptime()),
  }));
}
