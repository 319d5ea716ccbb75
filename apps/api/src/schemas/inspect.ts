import { z } from 'zod';

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
});
export const listenerList = z.object({ configVersion: z.string(), statsAvailable: z.boolean(), items: z.array(listenerItem) });

export const statsResult = z.object({ stats: counters });

/** The capture rule set read from the dataplane's network namespace (capture/ruleset types). */
export const rulesResult = z.object({
  ruleset: z.object({ tables: z.array(z.unknown()), sources: z.array(z.unknown()), warnings: z.array(z.string()) }),
  /** The namespace's addresses, which the trace uses to tell local destinations. */
  local: z.unknown(),
});

/** capture/trace's TraceResult: verdict, deciding rule, steps, outcomes. */
export const traceResult = z.object({
  packet: z.unknown(),
  family: z.enum(['ipv4', 'ipv6']),
  /** True when every explored path ends in the same verdict. */
  certain: z.boolean(),
  verdict: z.unknown(),
  decidedBy: z.unknown().optional(),
  steps: z.array(z.unknown()),
  outcomes: z.array(z.unknown()),
  unknowns: z.array(z.unknown()),
  assumptions: z.array(z.string()),
  explorationLimited: z.boolean(),
});

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

export const configDumpVersions = z.object({
  /** What the dataplane ACKed last (null while it never connected). */
  running: z.string().nullable(),
  latest: z.string().nullable(),
  versions: z.array(z.object({ version: z.string(), recordedAt: z.string(), running: z.boolean() })),
});

export const configDumpDiffQuery = z.object({ from: z.string().optional(), to: z.string().optional(), ignoreStamps: z.enum(['1', '0', 'true', 'false']).optional() });

export const configDumpDiff = z.object({
  fromVersion: z.string().optional(),
  toVersion: z.string().optional(),
  changes: z.array(z.object({ kind: z.enum(['added', 'removed', 'changed']), path: z.string(), segments: z.array(z.unknown()), old: z.unknown().optional(), new: z.unknown().optional() })),
  unified: z.string(),
});
