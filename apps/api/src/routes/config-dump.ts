import { MeshcapError, queryConfigDump, type ConfigDumpParams } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { dataplaneParams, errorResponses } from '../schemas/common.ts';
import { configDumpDiff, configDumpDiffQuery, configDumpQuery, configDumpVersions } from '../schemas/inspect.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

const isTrue = (v: string | undefined) => v === '' || v === '1' || v === 'true';

export default async function configDumpRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  /** The versions kept, and which one the dataplane runs. */
  const versionsOf = (mesh: string, name: string) => {
    fastify.catalog.requireDataplane(mesh, name);
    const records = fastify.configDumps.versions(`${mesh}/${name}`);
    const running = fastify.dataplanes.status(mesh, name).configVersion;
    return { records, running };
  };

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/config_dump',
    {
      schema: {
        summary: "Envoy v3 admin config dump of the dataplane's config (Envoy's resource, mask, name_regex, include_eds)",
        description: 'Default: the version the dataplane runs, else the newest. `?download=1` sends it as `<name>-config_dump.json`. `?source=dataplane` asks the running dataplane instead.',
        tags: ['config_dump'],
        params: dataplaneParams,
        querystring: configDumpQuery,
        response: { 200: z.record(z.string(), z.unknown()).meta({ description: 'envoy.admin.v3.ConfigDump as JSON' }), ...errorResponses(400, 404, 503, 504) },
      },
    },
    async (request, reply) => {
      const { mesh, name } = request.params;
      const { version, source, download, ...envoyQuery } = request.query;
      const { records, running } = versionsOf(mesh, name);
      const params = envoyQuery as ConfigDumpParams;
      let dump: unknown;
      if (source === 'dataplane') {
        dump = await fastify.dataplanes.request(mesh, name, 'config_dump', envoyQuery);
      } else {
        const wanted = version ?? fastify.configDumps.inForce(`${mesh}/${name}`, running)?.version;
        const record = records.find((r) => r.version === wanted);
        if (!record) {
          throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no config dump version ${wanted ?? '(none)'} for ${mesh}/${name} (kept: ${records.map((r) => r.version).join(', ') || 'none'})`, [
            { path: 'query.version', message: 'not kept' },
          ]);
        }
        dump = queryConfigDump(record.dump, params);
      }
      if (isTrue(download)) reply.header('content-disposition', `attachment; filename="${name}-config_dump.json"`);
      return dump as Record<string, unknown>;
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/config_dump/versions',
    { schema: { summary: 'Config dump versions kept for the dataplane (oldest first)', tags: ['config_dump'], params: dataplaneParams, response: { 200: configDumpVersions, ...errorResponses(400, 404, 503) } } },
    async (request) => {
      const { records, running } = versionsOf(request.params.mesh, request.params.name);
      return {
        running,
        latest: records[records.length - 1]?.version ?? null,
        versions: records.map((r) => ({ version: r.version, recordedAt: r.recordedAt, running: r.version === running })),
      };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/config_dump/diff',
    {
      schema: {
        summary: 'Diff of two config dump versions: changed paths and a unified diff (default: the previous version against the newest)',
        tags: ['config_dump'],
        params: dataplaneParams,
        querystring: configDumpDiffQuery,
        response: { 200: configDumpDiff, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      const { records } = versionsOf(mesh, name);
      const to = request.query.to ?? records[records.length - 1]?.version;
      const from = request.query.from ?? records[records.length - 2]?.version ?? to;
      if (!from || !to) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no config dump versions kept for ${mesh}/${name}`);
      return fastify.configDumps.diff(`${mesh}/${name}`, from, to, { ignoreStamps: isTrue(request.query.ignoreStamps) });
    },
  );
}
