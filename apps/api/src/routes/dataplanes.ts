import { dataplanePathDiagram } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { dataplaneParams, errorResponses, meshParams } from '../schemas/common.ts';
import { dataplaneDetail, dataplaneList, directionQuery, pathDiagram } from '../schemas/dataplanes.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import { ports, summarize } from '../inspect/dataplane-view.ts';
import { liveStats } from '../inspect/live.ts';

export default async function dataplaneRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  fastify.get(
    '/api/meshes/:mesh/dataplanes',
    { schema: { summary: 'Dataplanes of a mesh (kumactl inspect dataplanes)', tags: ['dataplanes'], params: meshParams, response: { 200: dataplaneList, ...errorResponses(400, 404) } } },
    async (request) => {
      fastify.catalog.requireMesh(request.params.mesh);
      const items = fastify.catalog.dataplanes(request.params.mesh).map((r) => summarize(r, fastify.catalog, fastify.dataplanes, fastify.replicaPresence));
      return { total: items.length, items };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name',
    {
      schema: {
        summary: 'One dataplane: status, inbounds and outbounds with live counters, its resource',
        tags: ['dataplanes'],
        params: dataplaneParams,
        response: { 200: dataplaneDetail, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      const record = fastify.catalog.requireDataplane(mesh, name);
      const stats = await liveStats(fastify.dataplanes, mesh, name, { forwarder: fastify.replicaForwarder, authorization: request.headers.authorization });
      const compiled = fastify.catalog.compiler.compile(mesh, name);
      return {
        ...summarize(record, fastify.catalog, fastify.dataplanes, fastify.replicaPresence),
        ...ports(compiled, stats ?? {}),
        statsAvailable: stats !== undefined,
        resource: record.resource,
        source: record.source,
      };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/diagram',
    {
      schema: {
        summary: "Mermaid sequence diagram of the dataplane's path (kernel rule → capture port → listener → policies → destination)",
        tags: ['dataplanes'],
        params: dataplaneParams,
        querystring: directionQuery,
        response: { 200: pathDiagram, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      const direction = request.query.direction;
      return { direction, mermaid: dataplanePathDiagram(fastify.catalog.compiler.compile(mesh, name), direction) };
    },
  );
}
