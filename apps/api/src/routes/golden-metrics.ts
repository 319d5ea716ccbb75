import { MeshcapError, type FlowRecord } from '@meshcap/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FORWARDED_HEADER } from '../channel/replica-forward.ts';
import { dataplaneParams, errorResponses } from '../schemas/common.ts';
import { goldenMetrics, metricsWindowQuery, serviceParams } from '../schemas/golden-metrics.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import { goldenMetrics as computeGoldenMetrics, METRICS_WINDOWS } from '../flows/golden-metrics.ts';

const SERVICE_TAG = 'kuma.io/service';

/** The most flows asked of each other replica for a service's window. */
const REPLICA_FLOWS_LIMIT = 10_000;

/**
 * With replicas, a service's dataplanes may be held by several: the other live replicas' inbound
 * flows of the window, asked as the merged flow list asks (2 s each, one that does not answer is
 * left out; at most REPLICA_FLOWS_LIMIT each). None on a single control plane, or for a request
 * another replica forwarded (it asks the others itself).
 */
async function otherReplicasInboundFlows(fastify: FastifyInstance, request: FastifyRequest, mesh: string, since: number): Promise<FlowRecord[]> {
  const forwarder = fastify.replicaForwarder;
  if (!forwarder || request.headers[FORWARDED_HEADER] !== undefined) return [];
  const path = `/api/flows?${new URLSearchParams({ mesh, direction: 'inbound', since: String(since), limit: String(REPLICA_FLOWS_LIMIT) })}`;
  const parts = await Promise.all(forwarder.otherReplicas().map((r) => forwarder.json<{ items: FlowRecord[] }>(r, path, request.headers.authorization).catch(() => undefined)));
  return parts.flatMap((p) => p?.items ?? []);
}

/** Rate, errors and latency over time, from the flows the control plane holds (nothing stored). */
export default async function goldenMetricsRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  fastify.get(
    '/api/meshes/:mesh/services/:service/metrics',
    {
      schema: {
        summary: "A service's golden metrics: the requests its dataplanes received (their inbound flows), errors by kind, latency p50/p90/p99",
        tags: ['metrics'],
        params: serviceParams,
        querystring: metricsWindowQuery,
        response: { 200: goldenMetrics, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { mesh, service } = request.params;
      fastify.catalog.requireMesh(mesh);
      const dataplanes = fastify.catalog
        .dataplanes(mesh)
        .filter((d) => d.resource.networking.inbound.some((i) => i.tags[SERVICE_TAG] === service))
        .map((d) => d.name);
      if (dataplanes.length === 0) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no dataplane of mesh "${mesh}" has an inbound of service "${service}"`);
      const owners = new Set(dataplanes);
      const now = Date.now();
      const flows = [...fastify.flows.all(), ...(await otherReplicasInboundFlows(fastify, request, mesh, now - METRICS_WINDOWS[request.query.window].ms))];
      const metrics = computeGoldenMetrics(flows, (f) => f.mesh === mesh && f.direction === 'inbound' && owners.has(f.dataplane), now, request.query.window);
      return { mesh, service, dataplanes, ...metrics };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/metrics',
    {
      schema: {
        summary: "A dataplane's golden metrics (its flows, both directions) and, per listener, a request counter and a latency histogram",
        tags: ['metrics'],
        params: dataplaneParams,
        querystring: metricsWindowQuery,
        response: { 200: goldenMetrics, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      const metrics = computeGoldenMetrics(fastify.flows.all(), (f) => f.mesh === mesh && f.dataplane === name, Date.now(), request.query.window);
      return { mesh, dataplane: name, dataplanes: [name], ...metrics };
    },
  );
}
