import { z } from 'zod';
import { flowRecordSchema } from '@meshcap/dataplane';

/** The channel's flow schema, named for the OpenAPI document (`.meta` makes a copy; the channel's stays unnamed). */
export const flowRecord = flowRecordSchema.meta({ id: 'FlowRecord' });

const sinceValue = z
  .string()
  .refine((s) => /^\d+$/.test(s) || !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 time or milliseconds since the epoch' })
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)));

/** Filters shared by the list and the stream. */
export const flowFilterQuery = z.object({
  mesh: z.string().optional(),
  dataplane: z.string().optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  verdict: z.enum(['forwarded', 'denied', 'faulted', 'error']).optional(),
  protocol: z.enum(['tcp', 'http']).optional(),
  since: sinceValue.optional(),
  /** The hops of one request: every flow that carried this `x-request-id`. */
  requestId: z.string().min(1).max(200).optional(),
});

export const flowListQuery = flowFilterQuery.extend({ limit: z.coerce.number().int().min(1).max(10_000).default(100) });
export const flowStreamQuery = flowFilterQuery.extend({
  /** For clients that cannot set the Last-Event-ID header: resume after this event id. */
  lastEventId: z.coerce.number().int().min(-1).optional(),
});

export const flowDrops = z.object({
  /** Flows evicted from the control plane's ring (it keeps the newest N). */
  controlPlane: z.number().int(),
  /** Flows dataplanes reported dropping (their buffers overflowed while the control plane was away). */
  dataplanes: z.number().int(),
  total: z.number().int(),
}).meta({ id: 'FlowDrops' });

export const flowList = z.object({
  total: z.number().int(),
  items: z.array(flowRecord),
  /** Same as `drops.total`. */
  dropped: z.number().int(),
  drops: flowDrops,
}).meta({ id: 'FlowList' });

export const flowParams = z.object({ id: z.string().min(1).max(200) });
export const flowDiagramResult = z.object({ id: z.string(), mermaid: z.string() }).meta({ id: 'FlowDiagram' });

/** One code of core's FLOW_REASONS registry: what `flow.reason` starts with, Envoy's flag for it, what it means. */
export const flowReasonEntry = z
  .object({
    code: z.string().describe('what `flow.reason` is, or starts with before `: ` and a detail'),
    flag: z.string().nullable().describe("Envoy's response flag for the same condition (%RESPONSE_FLAGS%), null where Envoy has none"),
    means: z.string().describe('what happened, for a person'),
  })
  .meta({ id: 'FlowReason' });
export const flowReasonList = z.object({ total: z.number().int(), items: z.array(flowReasonEntry) }).meta({ id: 'FlowReasonList' });
