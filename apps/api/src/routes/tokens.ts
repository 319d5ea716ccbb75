import { MeshcapError, resourceName } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorResponses } from '../schemas/common.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

const dataplaneTokenBody = z.strictObject({ name: resourceName, mesh: resourceName.default('default') });
const dataplaneTokenResult = z.object({
  /** Shown once: only its hash is stored. */
  token: z.string(),
  id: z.string(),
  mesh: z.string(),
  name: z.string(),
});
const tokenInfo = z.object({ id: z.string(), kind: z.string(), mesh: z.string(), name: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() });

export default async function tokenRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  fastify.post(
    '/api/tokens/dataplane',
    {
      schema: {
        summary: 'Issue a dataplane token (kumactl generate dataplane-token): lets one dataplane connect as itself',
        tags: ['tokens'],
        body: dataplaneTokenBody,
        response: { 200: dataplaneTokenResult, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { mesh, name } = request.body;
      fastify.catalog.requireMesh(mesh);
      const { token, id } = await fastify.dataplaneTokens.issue(mesh, name);
      return { token, id, mesh, name };
    },
  );

  fastify.get(
    '/api/tokens',
    { config: { access: 'admin' }, schema: { summary: 'Dataplane tokens issued (never the tokens themselves)', tags: ['tokens'], response: { 200: z.object({ items: z.array(tokenInfo) }), ...errorResponses(401) } } },
    async () => ({ items: (await fastify.store.listTokens()).map(({ secretHash: _hash, ...info }) => info) }),
  );

  fastify.delete(
    '/api/tokens/:id',
    { schema: { summary: 'Revoke a dataplane token', tags: ['tokens'], params: z.object({ id: z.string() }), response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }), ...errorResponses(401, 404) } } },
    async (request) => {
      if (!(await fastify.dataplaneTokens.revoke(request.params.id))) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no active token "${request.params.id}"`);
      fastify.dataplanes.disconnectToken(request.params.id);
      fastify.xds.disconnectToken(request.params.id);
      return { id: request.params.id, revoked: true as const };
    },
  );
}
