import type { FastifyInstance } from 'fastify';
import { errorResponses, meshParams } from '../schemas/common.ts';
import { meshItem, meshList } from '../schemas/meshes.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import type { StoredResource } from '../store/index.ts';

export default async function meshRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();
  const item = (mesh: StoredResource) => {
    const dps = fastify.catalog.dataplanes(mesh.name);
    return {
      type: 'Mesh' as const,
      name: mesh.name,
      creationTime: mesh.createdAt,
      modificationTime: mesh.modifiedAt,
      dataplanes: { total: dps.length, online: dps.filter((d) => fastify.dataplanes.isConnected(d.mesh, d.name)).length },
      policies: fastify.catalog.policies(mesh.name).length,
      resource: mesh.resource,
    };
  };

  fastify.get('/api/meshes', { schema: { summary: 'Meshes', tags: ['meshes'], response: { 200: meshList } } }, async () => {
    const items = fastify.catalog.meshes().map(item);
    return { total: items.length, items };
  });

  fastify.get(
    '/api/meshes/:mesh',
    { schema: { summary: 'One mesh', tags: ['meshes'], params: meshParams, response: { 200: meshItem, ...errorResponses(400, 404) } } },
    async (request) => item(fastify.catalog.requireMesh(request.params.mesh)),
  );
}
