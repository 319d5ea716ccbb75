import { z } from 'zod';

export const dataplaneError = z.object({ time: z.string(), message: z.string(), version: z.string().optional() }).meta({ id: 'DataplaneError' });

/** One row of `GET /api/meshes/{mesh}/dataplanes`: kumactl inspect dataplanes' columns. */
export const dataplaneSummary = z.object({
  mesh: z.string(),
  name: z.string(),
  address: z.string(),
  /** The inbounds' tags merged (several values of one key joined with ","). */
  tags: z.record(z.string(), z.string()),
  connected: z.boolean(),
  status: z.enum(['online', 'offline']),
  lastSeen: z.string().nullable(),
  connectedAt: z.string().nullable(),
  /** The version the dataplane ACKed: what it runs. */
  configVersion: z.string().nullable(),
  /** The version the control plane compiled for it now. */
  expectedVersion: z.string().nullable(),
  /** Sent, not yet ACKed or NACKed. */
  pendingVersion: z.string().nullable(),
  upToDate: z.boolean(),
  captureMode: z.enum(['redirect', 'tproxy', 'explicit']),
  totalUpdates: z.number().int(),
  totalErrors: z.number().int(),
  errors: z.array(dataplaneError),
  /** Where it takes its config from: Envoy's ADS (`xds`) or the dataplane channel (`channel`); null if never connected. */
  configSource: z.enum(['xds', 'channel']).nullable(),
  /** ADS streams it has open now. */
  xdsStreams: z.number().int(),
  /**
   * Replicas on PostgreSQL: the control plane replica it is connected to (`self`: this one), from
   * the sessions the replicas share; its flows and live inspect answers are on that replica.
   */
  controlPlane: z.object({ replica: z.string(), url: z.string(), self: z.boolean() }).nullable().optional(),
}).meta({ id: 'DataplaneSummary' });

export const dataplaneList = z.object({ total: z.number().int(), items: z.array(dataplaneSummary) }).meta({ id: 'DataplaneList' });

const counters = z.record(z.string(), z.number());

export const dataplanePort = z.object({
  listener: z.string(),
  address: z.string(),
  port: z.number().int(),
  protocol: z.string(),
  service: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  serviceAddress: z.string().optional(),
  servicePort: z.number().int().optional(),
  /** Outbounds under transparent proxying: the service's virtual IP, and the names the dataplane's DNS proxy answers with it (`backend.mesh` first). */
  vip: z.string().optional(),
  dnsNames: z.array(z.string()).optional(),
  /** Envoy-named counters of this listener (`downstream_cx_total`…); empty while the dataplane is offline. */
  stats: counters,
}).meta({ id: 'DataplanePort' });

export const dataplaneDetail = dataplaneSummary.extend({
  inbounds: z.array(dataplanePort),
  outbounds: z.array(dataplanePort),
  /** Whether `stats` came from the running dataplane. */
  statsAvailable: z.boolean(),
  resource: z.record(z.string(), z.unknown()),
  /** The Dataplane as it was applied or registered (YAML or JSON text). */
  source: z.string(),
}).meta({ id: 'DataplaneDetail' });

export const pathDiagram = z.object({ direction: z.enum(['inbound', 'outbound']), mermaid: z.string() }).meta({ id: 'PathDiagram' });
export const directionQuery = z.object({ direction: z.enum(['inbound', 'outbound']).default('inbound') });
