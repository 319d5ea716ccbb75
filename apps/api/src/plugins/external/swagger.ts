import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openApiTransform } from '../../schemas/zod-provider.ts';

/** OpenAPI 3.1 from the routes' zod schemas; served at /openapi.json, rendered at /docs. */
export default fp(
  async function swaggerPlugin(fastify: FastifyInstance) {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'meshcap control plane API',
          description: 'Inspect API of meshcap: meshes, dataplanes, rules, policies, config_dump, flows. Mutating routes need `Authorization: Bearer <token>`.',
          version: '0.1.0',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
      transform: openApiTransform,
    });
  },
  { name: 'swagger' },
);
