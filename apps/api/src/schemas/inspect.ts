import { z } from 'zod';
import { localNetwork, ruleset, traceResultDocument } from './capture.ts';

const counters = z.record(z.string(), z.number());

export const listenerItem = z.object({
  name: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  address: z.string(),
  port: z.number().int(),
  /** False for listeners reached by hand-off from a capture listener (Envoy `bind_to_port: false`). */
  bind: z.boolean(),
  useOriginalDst: z.boolean(),
  transparent: z.boolean(),
  capture: z.enum(['redirect', 'tproxy', 'explicit']),
  protocol: z.enum(['tcp', 'http']),
  cluster: z.string(),
  service: z.string().optional(),
  /** Network and HTTP filter names in chain order, from the listener's config dump. */
  filters: z.array(z.string()),
  /** Envoy-named counters (`downstream_cx_total`…); empty while the dataplane is offline. */
  stats: counters,
}).meta({ id: 'Listener' });
export const listenerList = z.object({ configVersion: z.string(), statsAvailable: z.boolean(), items: z.array(listenerItem) }).meta({ id: 'ListenerList' });

export const statsResult = z.object({ stats: counters }).meta({ id: 'StatsResult' });

/** A cluster as the running dataplane balances it (its /clusters): each endpoint's health, the circuit breakers, the counters. */
export const clusterItem = z.object({
  name: z.string(),
  kind: z.enum(['static', 'original_dst', 'service']),
  endpoints: z.array(
    z.object({
      address: z.string(),
      port: z.number().int(),
      /** Envoy's health flags: `healthy`, or `/failed_active_hc`, `/failed_outlier_check`, `/pending_active_hc`. */
      healthFlags: z.string(),
      rqTotal: z.number().int(),
      rqError: z.number().int(),
    }),
  ),
  limits: z.object({ maxConnections: z.number().int(), maxPendingRequests: z.number().int(), maxRequests: z.number().int(), maxRetries: z.number().int() }),
  stats: counters,
}).meta({ id: 'Cluster' });

export const clusterList = z.object({ items: z.array(clusterItem) }).meta({ id: 'ClusterList' });

/** The capture rule set read from the dataplane's network namespace, and its addresses. */
export const rulesResult = z.object({ ruleset, local: localNetwork }).meta({ id: 'RulesResult' });

/** capture/trace's TraceResult: verdict, deciding rule, steps, outcomes. */
export const traceResult = traceResultDocument.meta({ id: 'TraceResult' });

export const configDumpQuery = z.object({
  resource: z.string().optional(),
  mask: z.string().optional(),
  name_regex: z.string().optional(),
  include_eds: z.enum(['', '1', '0', 'true', 'false']).optional(),
  /** A version from `…/config_dump/versions`; default: what the dataplane runs (or the newest). */
  version: z.string().optional(),
  /** `dataplane`: ask the running dataplane for its own dump instead of the control plane's copy. */
  source: z.enum(['control-plane', 'dataplane']).default('control-plane'),
  download: z.enum(['', '1', '0', 'true', 'false']).optional(),
});

export const configDumpVersion = z
  .object({
    version: z.string(),
    recordedAt: z.string(),
    /** The version the dataplane runs (ACKed last). */
    running: z.boolean(),
  })
  .meta({ id: 'ConfigDumpVersion' });

export const configDumpVersions = z.object({
  /** What the dataplane ACKed last (null while it never connected). */
  running: z.string().nullable(),
  latest: z.string().nullable(),
  versions: z.array(configDumpVersion),
}).meta({ id: 'ConfigDumpVersionList' });

export const configDumpDiffQuery = z.object({ from: z.string().optional(), to: z.string().optional(), ignoreStamps: z.enum(['1', '0', 'true', 'false']).optional() });

export const configDumpChange = z
  .object({
    kind: z.enum(['added', 'removed', 'changed']),
    /** JSON path of the change, e.g. `configs[2].dynamic_listeners[1].active_state.listener`. */
    path: z.string(),
    segments: z.array(z.unknown()),
    old: z.unknown().optional(),
    new: z.unknown().optional(),
  })
  .meta({ id: 'ConfigDumpChange' });

export const configDumpDiff = z.object({
  fromVersion: z.string().optional(),
  toVersion: z.string().optional(),
  changes: z.array(configDumpChange),
  unified: z.string(),
}).meta({ id: 'ConfigDumpDiff' });
