import { MeshcapError, resourceKind } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorResponses } from '../schemas/common.ts';
import { applyResult, resourceChange, resourceParams, storedResource } from '../schemas/resources.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import type { ResourceKey } from '../store/index.ts';

/** Content types POST /api/resources takes: all read as text, so JSON errors get lines and columns too. */
const TEXT_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

function keyFromParams(params: { mesh: string; type: string; name: string }): ResourceKey {
  const kind = resourceKind(params.type);
  if (!kind) throw new MeshcapError('MESHCAP_ERR_UNKNOWN_KIND', `unknown resource type "${params.type}"`, [{ path: 'type', message: 'unknown resource type' }]);
  if (!kind.meshScoped) {
    // Meshes are global: /api/meshes/prod/resources/Mesh/prod.
    if (params.name !== params.mesh) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `a Mesh is addressed as /api/meshes/${params.name}/resources/Mesh/${params.name}`);
    return { type: params.type, mesh: '', name: params.name };
  }
  return { type: params.type, mesh: params.mesh, name: params.name };
}

export default async function resourceRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  // Encapsulated: only this route reads JSON bodies as text.
  await fastify.register(async (scoped) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/api/resources',
      {
        schema: {
          summary: 'Apply resources (kumactl apply): YAML or JSON, one or many documents, all or nothing',
          description: 'Body: YAML (`---`-separated documents) or JSON (an object or an array). Errors name the document, line, column and field path; on any error nothing is stored.',
          tags: ['resources'],
          body: z.string().min(1, 'the body is empty'),
          response: { 200: applyResult, ...errorResponses(400, 401, 404, 409, 413, 415) },
        },
      },
      async (request) => fastify.catalog.applyText(request.body, { source: 'request body' }),
    );
  });

  fastify.get(
    '/api/meshes/:mesh/resources/:type/:name',
    { schema: { summary: 'One stored resource, with the text it was applied from', tags: ['resources'], params: resourceParams, response: { 200: storedResource, ...errorResponses(400, 404) } } },
    async (request) => {
      const key = keyFromParams(request.params);
      if (key.mesh) fastify.catalog.requireMesh(key.mesh);
      const record = fastify.catalog.get(key);
      if (!record) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no ${key.type} "${key.name}"${key.mesh ? ` in mesh "${key.mesh}"` : ''}`);
      return {
        type: record.type,
        mesh: record.mesh,
        name: record.name,
        version: record.version,
        creationTime: record.createdAt,
        modificationTime: record.modifiedAt,
        resource: record.resource,
        source: record.source,
      };
    },
  );

  fastify.delete(
    '/api/meshes/:mesh/resources/:type/:name',
    { schema: { summary: 'Delete a resource (a mesh must be empty first)', tags: ['resources'], params: resourceParams, response: { 200: resourceChange, ...errorResponses(400, 401, 404, 409) } } },
    async (request) => fastify.catalog.delete(keyFromParams(request.params)),
  );
}
