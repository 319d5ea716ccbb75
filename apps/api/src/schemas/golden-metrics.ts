import { resourceName } from '@meshcap/core';
import { z } from 'zod';
import { METRICS_WINDOWS, type MetricsWindow } from '../flows/golden-metrics.ts';

export const metricsWindowQuery = z.object({
  window: z.enum(Object.keys(METRICS_WINDOWS) as [MetricsWindow, ...MetricsWindow[]]).default('5m').meta({ description: 'How far back: 5m (5 s steps), 15m (15 s steps) or 60m (1 min steps)' }),
});

export const serviceParams = z.object({ mesh: resourceName, service: z.string().min(1).max(253) });

const errorCounts = {
  upstream5xx: z.number().int().meta({ description: 'Forwarded; the upstream answered 5xx' }),
  upstream4xx: z.number().int().meta({ description: 'Forwarded; the upstream answered 4xx' }),
  denied: z.number().int().meta({ description: 'Denied by a policy (traffic permission, rate limit)' }),
  localReplies: z.number().int().meta({ description: 'Answered by the proxy itself, other than a denial: injected faults and proxy failures' }),
};
const ms = z.number().nullable();
const percentiles = { p50Ms: ms, p90Ms: ms, p99Ms: ms };

export const metricsPoint = z
  .object({ t: z.number().meta({ description: 'Start of the step, ms since the epoch' }), requests: z.number().int(), rate: z.number().meta({ description: 'Requests per second' }), ...errorCounts, ...percentiles })
  .meta({ id: 'MetricsPoint' });

export const listenerMetrics = z
  .object({
    listener: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    requests: z.number().int(),
    ...errorCounts,
    ...percentiles,
    histogram: z.array(z.object({ leMs: z.number().nullable().meta({ description: 'Upper bound (ms); null for the last, unbounded bucket' }), count: z.number().int() })),
  })
  .meta({ id: 'ListenerMetrics' });

export const goldenMetrics = z
  .object({
    mesh: z.string(),
    /** The service, for a service's metrics (its dataplanes' inbound flows). */
    service: z.string().optional(),
    /** The dataplane, for a dataplane's metrics (its flows, both directions). */
    dataplane: z.string().optional(),
    dataplanes: z.array(z.string()),
    window: metricsWindowQuery.shape.window.unwrap(),
    stepS: z.number(),
    from: z.number(),
    to: z.number(),
    oldestFlow: z.number().nullable().meta({ description: 'The oldest flow the control plane still holds: a window reaching further back counts from there' }),
    totals: z.object({ requests: z.number().int(), rate: z.number(), ...errorCounts, ...percentiles }),
    points: z.array(metricsPoint),
    listeners: z.array(listenerMetrics),
  })
  .meta({ id: 'GoldenMetrics' });
