import { FLOW_REASONS, flowDiagram, MeshcapError, type FlowRecord } from '@meshcap/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { errorResponses, textResponse } from '../schemas/common.ts';
import { flowDiagramResult, flowList, flowListQuery, flowParams, flowReasonList, flowRecord, flowStreamQuery } from '../schemas/flows.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import { FORWARDED_HEADER } from '../channel/replica-forward.ts';
import { relayReplicaFlows } from '../channel/replica-flow-relay.ts';
import { matchesFlow, type FlowFilter } from '../flows/flow-hub.ts';
import { SseWriter } from '../flows/sse-writer.ts';

/** A stream client further behind than this (bytes queued) skips flows, and is told how many. */
const SSE_MAX_QUEUED_BYTES = 1024 * 1024;
const SSE_HEARTBEAT_MS = 15_000;
const SSE_DROPS_EVERY_MS = 2_000;
/** Live streams served at once: each holds a subscription and up to SSE_MAX_QUEUED_BYTES. */
export const SSE_MAX_STREAMS = 64;

/**
 * A flow by id, wherever it lives. Its id is the dataplane's (a UUID), which says nothing of the
 * replica it reached, and the dataplane may have moved since: so a flow not held here is asked of
 * every other live replica at once, the first to have it answers (replica-forward.ts `firstHit`).
 * Not carried in the id: the id is the dataplane's own (its admin /flows and the request hops name
 * flows by it) and a rewritten one would differ per replica. A request already forwarded is
 * answered from here alone (no fan-out from a fan-out).
 */
async function requireFlow(fastify: FastifyInstance, request: FastifyRequest, id: string): Promise<FlowRecord> {
  const flow = fastify.flows.find(id);
  if (flow) return flow;
  const forwarder = fastify.replicaForwarder;
  if (forwarder && request.headers[FORWARDED_HEADER] === undefined) {
    const hit = await forwarder.firstHit(`/api/flows/${encodeURIComponent(id)}`, request.headers.authorization, `flow "${id}"`);
    if (hit) return flowRecord.parse(hit.body) as FlowRecord;
  }
  const where = forwarder ? 'no control plane replica has it; each keeps' : 'the control plane keeps';
  throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no flow "${id}" (${where} the most recent ${fastify.flows.stats().capacity})`);
}

/** The stream's filters, for the other replicas' streams (each resumes from its own ids). */
function relayQuery(url: string): URLSearchParams {
  const query = new URL(url, 'http://replica').searchParams;
  query.delete('lastEventId');
  return query;
}

export default async function flowRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();
  /** Open streams, ended when the server closes so close() does not wait for them. */
  const streams = new Set<() => void>();
  fastify.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  fastify.get(
    '/api/flows',
    { schema: { summary: 'Recent flows, newest first, filtered', tags: ['flows'], querystring: flowListQuery, response: { 200: flowList, ...errorResponses(400) } } },
    async (request) => {
      const { limit, ...filter } = request.query;
      let items = fastify.flows.list(filter, limit);
      const drops = { ...fastify.flows.drops() };
      // Not about one dataplane (one is forwarded to its holder): merged from every live replica.
      const forwarder = fastify.replicaForwarder;
      if (forwarder && filter.dataplane === undefined && request.headers[FORWARDED_HEADER] === undefined) {
        const parts = await Promise.all(forwarder.otherReplicas().map((r) => forwarder.json<z.infer<typeof flowList>>(r, request.url, request.headers.authorization).catch(() => undefined)));
        const seen = new Set(items.map((f) => f.id));
        for (const part of parts) {
          if (!part) continue; // A replica that does not answer in time is left out, not waited for.
          for (const flow of part.items) {
            if (seen.has(flow.id)) continue;
            seen.add(flow.id);
            items.push(flow);
          }
          drops.controlPlane += part.drops.controlPlane;
          drops.dataplanes += part.drops.dataplanes;
          drops.total += part.drops.total;
        }
        items = items.sort((x, y) => y.start - x.start).slice(0, limit);
      }
      return { total: items.length, items, dropped: drops.total, drops };
    },
  );

  fastify.get(
    '/api/flows/stream',
    {
      schema: {
        summary: 'Live flows as Server-Sent Events (same filters; resumes after Last-Event-ID)',
        description:
          'Events: `flow` (data: one flow record, id: its position in the log), `dropped` (data: {dropped, drops, skipped, missed}: flows lost so far; skipped: events this client was too slow for; missed: flows gone before a resume could replay them).',
        tags: ['flows'],
        querystring: flowStreamQuery,
        response: { 200: textResponse('text/event-stream of flow and dropped events', 'text/event-stream'), ...errorResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const { lastEventId: queryLastId, ...filter } = request.query as typeof request.query & FlowFilter;
      const headerLastId = Number(request.headers['last-event-id']);
      const lastId = Number.isInteger(headerLastId) ? headerLastId : queryLastId;
      if (streams.size >= SSE_MAX_STREAMS) {
        throw new MeshcapError('MESHCAP_ERR_TOO_MANY_STREAMS', `${SSE_MAX_STREAMS} flow streams are open, the most this control plane serves; close one (another tab?) or retry later`);
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      res.write('retry: 3000\n\n');
      const sse = new SseWriter(res, SSE_MAX_QUEUED_BYTES);
      let skipped = 0;
      let missed = 0;
      let lastReported = '';
      const reportDrops = () => {
        const drops = fastify.flows.drops();
        const payload = { dropped: drops.total + skipped + missed, drops, skipped, missed };
        const text = JSON.stringify(payload);
        if (text !== lastReported && sse.event('dropped', text)) lastReported = text;
      };
      if (lastId !== undefined) {
        const replay = fastify.flows.replay(lastId, filter);
        missed = replay.missed;
        for (const { flow, seq } of replay.flows) if (!sse.event('flow', JSON.stringify(flow), seq)) skipped++;
      }
      reportDrops();
      const unsubscribe = fastify.flows.subscribe((flow, seq) => {
        if (!matchesFlow(flow, filter)) return;
        if (!sse.event('flow', fastify.flows.json(flow), seq)) skipped++;
      });
      // Not about one dataplane (one is forwarded to its holder): the other replicas' live flows too,
      // without ids (the ids a client resumes from are this replica's; see replica-flow-relay.ts).
      const forwarder = fastify.replicaForwarder;
      const stopRelay =
        forwarder && filter.dataplane === undefined && request.headers[FORWARDED_HEADER] === undefined
          ? relayReplicaFlows(forwarder, relayQuery(request.url), request.headers.authorization, (json) => {
              if (!sse.event('flow', json)) skipped++;
            })
          : undefined;
      const heartbeat = setInterval(() => sse.raw(': ping\n\n'), SSE_HEARTBEAT_MS);
      const drops = setInterval(reportDrops, SSE_DROPS_EVERY_MS);
      const stop = () => {
        sse.close();
        stopRelay?.();
        unsubscribe();
        clearInterval(heartbeat);
        clearInterval(drops);
        streams.delete(end);
      };
      const end = () => {
        sse.end();
        stop();
      };
      streams.add(end);
      request.raw.on('close', stop);
      res.on('close', stop);
    },
  );

  fastify.get(
    '/api/flow-reasons',
    { schema: { summary: "Every reason a flow can record (core's registry): its code, Envoy's response flag, what it means", tags: ['flows'], response: { 200: flowReasonList } } },
    async () => {
      const items = Object.entries(FLOW_REASONS).map(([code, r]) => ({ code, flag: r.flag ?? null, means: r.means }));
      return { total: items.length, items };
    },
  );

  fastify.get(
    '/api/flows/:id',
    { schema: { summary: 'One flow', tags: ['flows'], params: flowParams, response: { 200: flowRecord, ...errorResponses(404, 503) } } },
    async (request) => requireFlow(fastify, request, request.params.id),
  );

  fastify.get(
    '/api/flows/:id/diagram',
    { schema: { summary: 'Mermaid sequence diagram of one flow, with its timings', tags: ['flows'], params: flowParams, response: { 200: flowDiagramResult, ...errorResponses(404, 503) } } },
    async (request) => ({ id: request.params.id, mermaid: flowDiagram(await requireFlow(fastify, request, request.params.id)) }),
  );
}
