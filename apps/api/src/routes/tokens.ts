import { MeshcapError, parseKumaDuration, resourceName } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorResponses } from '../schemas/common.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

/** `validFor` as kumactl's `--valid-for` takes it (`720h`, `30d`, `10y`). */
const validFor = z
  .string()
  .refine((s) => parseKumaDuration(s) !== undefined, { message: 'expected a duration such as 24h, 30d or 10y' })
  .optional()
  .describe('How long the token is valid (default Kuma’s 10y)');
const tagValue = z.string().min(1).max(253);
const dataplaneTokenBody = z.strictObject({
  name: resourceName,
  mesh: resourceName.default('default'),
  validFor,
  /** Kuma's `--tag`: the dataplane may claim only these values for these tags. */
  tags: z.record(z.string().min(1).max(253), z.union([tagValue, z.array(tagValue).min(1)])).optional(),
});
const adminTokenBody = z.strictObject({ name: resourceName, validFor });
const tokenResult = z.object({
  /** Shown once: only its hash is stored. */
  token: z.string(),
  id: z.string(),
  expiresAt: z.string(),
});
const dataplaneTokenResult = tokenResult.extend({ mesh: z.string(), name: z.string() });
const tokenInfo = z.object({
  id: z.string(),
  kind: z.string(),
  mesh: z.string(),
  name: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  tags: z.record(z.string(), z.array(z.string())).nullable(),
});

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
      const tags = request.body.tags ? Object.fromEntries(Object.entries(request.body.tags).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) : undefined;
      const validForMs = request.body.validFor === undefined ? undefined : parseKumaDuration(request.body.validFor);
      const issued = await fastify.dataplaneTokens.issue(mesh, name, { validForMs, tags });
      return { ...issued, mesh, name };
    },
  );

  fastify.post(
    '/api/tokens/admin',
    {
      schema: {
        summary: 'Issue another admin token (kumactl generate user-token), valid for validFor; revoke it with DELETE /api/tokens/{id}',
        tags: ['tokens'],
        body: adminTokenBody,
        response: { 200: tokenResult, ...errorResponses(400, 401) },
      },
    },
    async (request) => fastify.adminTokens.issue(request.body.name, request.body.validFor === undefined ? undefined : parseKumaDuration(request.body.validFor)),
  );

  fastify.get(
    '/api/tokens',
    { config: { access: 'admin' }, schema: { summary: 'Tokens issued, dataplane and admin (never the tokens themselves)', tags: ['tokens'], response: { 200: z.object({ items: z.array(tokenInfo) }), ...errorResponses(401) } } },
    async () => ({ items: (await fastify.store.listTokens()).map(({ secretHash: _hash, ...info }) => info) }),
  );

  fastify.delete(
    '/api/tokens/:id',
    { schema: { summary: 'Revoke a token (dataplane or admin); a dataplane connected with it is cut off', tags: ['tokens'], params: z.object({ id: z.string() }), response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }), ...errorResponses(401, 404) } } },
    async (request) => {
      if (!(await fastify.dataplaneTokens.revoke(request.params.id))) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no active token "${request.params.id}"`);
      fastify.adminTokens.forget(request.params.id);
      fastify.dataplanes.disconnectToken(request.params.id);
      fastify.xds.disconnectToken(request.params.id);
      return { id: request.params.id, revoked: true as const };
    },
  );
}
