import type { FastifyInstance } from 'fastify';
import { textResponse } from '../schemas/common.ts';

type Sample = [labels: Record<string, string>, value: number];

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** One metric family in Prometheus text format 0.0.4. */
export function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

export default async function metricsRoutes(fastify: FastifyInstance) {
  fastify.get(
    '/metrics',
    { schema: { summary: 'Control plane metrics (Prometheus text format)', tags: ['system'], response: { 200: textResponse('Prometheus text exposition 0.0.4') } } },
    async (_request, reply) => {
      const hub = fastify.dataplanes;
      const flowStats = fastify.flows.stats();
      const drops = fastify.flows.drops();
      const perDp = fastify.flows.dataplaneCounters();
      const dataplanes = fastify.catalog.dataplanes();
      const text = [
        family('meshcap_cp_dataplanes', 'gauge', 'Dataplanes stored, by mesh and whether connected.', [
          ...new Set(dataplanes.map((d) => d.mesh)),
        ].flatMap((mesh) => {
          const inMesh = dataplanes.filter((d) => d.mesh === mesh);
          const online = inMesh.filter((d) => hub.isConnected(mesh, d.name)).length;
          return [
            [{ mesh, state: 'online' }, online],
            [{ mesh, state: 'offline' }, inMesh.length - online],
          ] as Sample[];
        })),
        family('meshcap_cp_config_pushes_total', 'counter', 'xDS responses sent to dataplanes (one per resource type and version).', [[{}, fastify.xds.counters.responses]]),
        family('meshcap_cp_config_acks_total', 'counter', 'xDS responses dataplanes applied (ACK).', [[{}, fastify.xds.counters.acks]]),
        family('meshcap_cp_config_nacks_total', 'counter', 'xDS responses dataplanes refused (NACK).', [[{}, fastify.xds.counters.nacks]]),
        family('meshcap_cp_xds_streams', 'gauge', 'ADS streams open now.', [[{}, fastify.xds.streamCount]]),
        family('meshcap_cp_xds_streams_refused_total', 'counter', 'ADS streams refused (token, identity, Dataplane).', [[{}, fastify.xds.counters.streamsRefused]]),
        family('meshcap_cp_channel_connections_total', 'counter', 'Dataplane channel connections accepted.', [[{}, hub.counters.connections]]),
        family('meshcap_cp_channel_rejected_total', 'counter', 'Dataplane channel connections refused (bad token, identity, resource).', [[{}, hub.counters.rejectedConnections]]),
        family('meshcap_cp_flow_batches_total', 'counter', 'Flow batches received from dataplanes.', [[{}, hub.counters.flowBatches]]),
        family('meshcap_cp_flow_batches_duplicate_total', 'counter', 'Flow batches received again after a reconnect (ignored).', [[{}, hub.counters.duplicateBatches]]),
        family('meshcap_cp_flows_received_total', 'counter', 'Flows received, by dataplane.', perDp.map((c) => [{ mesh: c.mesh, dataplane: c.dataplane }, c.received] as Sample)),
        family('meshcap_cp_flows_dropped_total', 'counter', 'Flows lost: evicted from the control plane ring, or dropped by a dataplane buffer.', [
          [{ where: 'control_plane' }, drops.controlPlane],
          ...perDp.map((c) => [{ where: 'dataplane', mesh: c.mesh, dataplane: c.dataplane }, c.droppedByDataplane] as Sample),
        ]),
        family('meshcap_cp_flows_buffered', 'gauge', 'Flows held in the control plane ring.', [[{}, flowStats.size]]),
        family('meshcap_cp_flow_stream_clients', 'gauge', 'Open /api/flows/stream connections.', [[{}, flowStats.subscribers]]),
        family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [[{}, process.memoryUsage.rss()]]),
        family('process_uptime_seconds', 'gauge', 'Seconds since the control plane started.', [[{}, Math.round(process.uptime())]]),
      ].join('\n');
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${text}\n`);
    },
  );
}
