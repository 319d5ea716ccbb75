import { engineConfigFromXds, MeshcapError, resourcesOfConfigDump, tracePacket, tracePacketSchema, type ClusterStatus, type EnvoyMessage, type LocalNetwork, type Ruleset, type XdsResourceSet } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { dataplaneParams, errorResponses } from '../schemas/common.ts';
import { clusterList, listenerList, rulesResult, statsResult, traceResult } from '../schemas/inspect.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import { listenerCounters } from '../inspect/dataplane-view.ts';
import { listenerFilters } from '../inspect/listener-filters.ts';
import { liveStats } from '../inspect/live.ts';

/**
 * The listeners' shape does not depend on their TLS, and a dump holds no private key to decode TLS
 * with (the certificate view shows it), so the transport sockets are left out here.
 */
function withoutTransportSockets(set: XdsResourceSet): XdsResourceSet {
  const strip = (o: EnvoyMessage): EnvoyMessage => {
    const { transport_socket: _socket, ...rest } = o;
    return rest;
  };
  return {
    ...set,
    listeners: set.listeners.map((l) => (Array.isArray(l['filter_chains']) ? { ...l, filter_chains: (l['filter_chains'] as EnvoyMessage[]).map(strip) } : l)),
    clusters: set.clusters.map(strip),
  };
}

/** Rules come from the dataplane: only it can read its network namespace's netfilter tables. */
const RULES_TIMEOUT_MS = 10_000;

export default async function inspectRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  const readRules = async (mesh: string, name: string) => {
    fastify.catalog.requireDataplane(mesh, name);
    return (await fastify.dataplanes.request(mesh, name, 'rules', {}, RULES_TIMEOUT_MS)) as { ruleset: Ruleset; local: LocalNetwork };
  };

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/listeners',
    {
      schema: {
        summary: 'Listeners of the dataplane (capture, per-inbound/outbound, passthrough) with their filters and live counters',
        tags: ['dataplanes'],
        params: dataplaneParams,
        response: { 200: listenerList, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      // What the dataplane runs: the resources of the version it ACKed (else the newest sent), decoded as meshcap dp decodes them.
      const record = fastify.configDumps.inForce(`${mesh}/${name}`, fastify.dataplanes.status(mesh, name).configVersion);
      if (!record) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no resources for ${mesh}/${name} yet: its config did not compile`);
      const { config } = engineConfigFromXds(withoutTransportSockets(resourcesOfConfigDump(record.dump)), { version: record.version, mesh, dataplane: name });
      const stats = await liveStats(fastify.dataplanes, mesh, name);
      return {
        configVersion: record.version,
        statsAvailable: stats !== undefined,
        items: config.listeners.map((l) => ({
          name: l.name,
          direction: l.direction,
          address: l.address,
          port: l.port,
          bind: l.bind,
          useOriginalDst: l.useOriginalDst,
          transparent: l.transparent,
          capture: l.capture,
          protocol: l.protocol,
          cluster: l.cluster.name,
          ...(l.service !== undefined ? { service: l.service } : {}),
          filters: listenerFilters(record.dump, l.name),
          stats: listenerCounters(stats ?? {}, l.name),
        })),
      };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/clusters',
    {
      schema: {
        summary: "The running dataplane's clusters: endpoints with their health (active checks, outlier ejection), circuit breakers and counters",
        tags: ['dataplanes'],
        params: dataplaneParams,
        response: { 200: clusterList, ...errorResponses(400, 404, 503, 504) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      return { items: (await fastify.dataplanes.request(mesh, name, 'clusters')) as ClusterStatus[] };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/stats',
    { schema: { summary: "The running dataplane's counters, named as Envoy names them", tags: ['dataplanes'], params: dataplaneParams, response: { 200: statsResult, ...errorResponses(400, 404, 503, 504) } } },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      return { stats: (await fastify.dataplanes.request(mesh, name, 'stats')) as Record<string, number> };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/rules',
    {
      schema: {
        summary: "The capture rules installed in the dataplane's network namespace, with packet/byte counters (read by the dataplane)",
        tags: ['rules'],
        params: dataplaneParams,
        response: { 200: rulesResult, ...errorResponses(400, 404, 500, 503, 504) },
      },
    },
    async (request) => readRules(request.params.mesh, request.params.name),
  );

  fastify.post(
    '/api/meshes/:mesh/dataplanes/:name/trace',
    {
      config: { access: 'read' },
      schema: {
        summary: "Trace a packet through the dataplane's installed rules: every rule visited, the one that decided, the verdict",
        description: 'Reads the rules from the dataplane and walks them; changes nothing (so it needs no token).',
        tags: ['rules'],
        params: dataplaneParams,
        body: tracePacketSchema,
        response: { 200: traceResult, ...errorResponses(400, 404, 500, 503, 504) },
      },
    },
    async (request) => {
      const { ruleset, local } = await readRules(request.params.mesh, request.params.name);
      return tracePacket(ruleset, request.body, { local });
    },
  );
}
