import { isFlowReason, type FlowRecord } from '@meshcap/core';
import { z } from 'zod';

/**
 * The dataplane channel, protocol `meshcap-channel/2`: an HTTP/1.1 Upgrade on
 * `GET /api/dataplane-channel` (TCP or the control plane's Unix socket) with
 * `Authorization: Bearer <dataplane token>`, then one JSON message per line each way.
 *
 *   dp → cp  hello    {dataplane, instance}              first message: who I am (my Dataplane resource)
 *   cp → dp  welcome  {mesh, name, heartbeatMs}          accepted; or `error` {code, message} and close
 *   dp → cp  flows    {seq, flows, dropped}              a flow batch; `dropped`: flows lost since the last batch
 *   cp → dp  flows-ack {seq}                             batch stored; the dataplane may forget it
 *   cp → dp  request  {id, what, params}                 rules | stats | config_dump | listeners
 *   dp → cp  reply    {id, ok, result | error}
 *   both     ping / pong                                 liveness; silence for 3 heartbeats closes the channel
 *
 * The config does not travel here: the dataplane takes it from the ADS server (Envoy's xDS, see
 * apps/api/src/xds-server), like any Envoy. The channel carries what xDS has no place for: flow
 * batches (bounded, acknowledged, resent) and the control plane's inspect requests.
 *
 * Flow batches are delivered at least once and deduplicated by (instance, seq): a batch the
 * control plane did not acknowledge is sent again after a reconnect.
 */
export const CHANNEL_PROTOCOL = 'meshcap-channel/2';
export const CHANNEL_PATH = '/api/dataplane-channel';
/** Longest message line either side accepts (a large flow batch or config dump fits). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_MS = 10_000;

const address = z.object({ address: z.string(), port: z.number().int() });

/** A FlowRecord as a dataplane sends it; checked at the edge, typed inside. */
export const flowRecordSchema = z.object({
  id: z.string().min(1).max(200),
  connectionId: z.string().max(200),
  start: z.number(),
  mesh: z.string(),
  dataplane: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  listener: z.string(),
  cluster: z.string(),
  capture: z.enum(['redirect', 'tproxy', 'explicit']),
  protocol: z.enum(['tcp', 'http']),
  client: address,
  destination: address,
  upstream: address.optional(),
  bytes: z.object({ fromClient: z.number(), toClient: z.number() }),
  http: z
    .object({
      method: z.string(),
      authority: z.string(),
      path: z.string(),
      status: z.number().int().optional(),
      requestBytes: z.number(),
      responseBytes: z.number(),
      requestId: z.string(),
      upgraded: z.boolean().optional(),
      attempts: z.number().int(),
      version: z.literal('HTTP/2').optional(),
      grpc: z.object({ service: z.string(), method: z.string(), status: z.number().int().optional(), message: z.string().optional() }).optional(),
    })
    .optional(),
  timings: z.object({ connectMs: z.number().optional(), firstByteMs: z.number().optional(), totalMs: z.number() }),
  verdict: z.enum(['forwarded', 'denied', 'faulted', 'error']),
  reason: z.string().refine(isFlowReason, 'not a registered flow reason code (packages/core/src/flows/reasons.ts)').optional(),
  close: z.enum(['fin', 'client_reset', 'upstream_reset', 'idle_timeout', 'local', 'drain']).optional(),
  policies: z.array(z.object({ type: z.string(), name: z.string(), action: z.string() })),
  /** mTLS: how the peer came in (verified identity, TLS version and cipher) or plaintext. */
  tls: z
    .object({
      mode: z.enum(['mtls', 'plaintext']),
      verified: z.boolean(),
      peer: z.array(z.string().max(2048)).max(64).optional(),
      version: z.string().max(50).optional(),
      cipher: z.string().max(200).optional(),
    })
    .optional(),
}) satisfies z.ZodType<FlowRecord>;

export const REQUEST_KINDS = ['rules', 'stats', 'config_dump', 'listeners', 'clusters'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const dpMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    /** The Dataplane resource the dataplane was started with (universal format). */
    dataplane: z.record(z.string(), z.unknown()),
    /** Random per dataplane process: flow batch numbers restart with it. */
    instance: z.string().min(1).max(100),
  }),
  z.object({ type: z.literal('flows'), seq: z.number().int().nonnegative(), flows: z.array(z.unknown()).max(10_000), dropped: z.number().int().nonnegative() }),
  z.object({
    type: z.literal('reply'),
    id: z.number().int(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('pong') }),
]);
export type DpMessage = z.infer<typeof dpMessage>;

export const cpMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), mesh: z.string(), name: z.string(), heartbeatMs: z.number().int().positive() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('flows-ack'), seq: z.number().int() }),
  z.object({ type: z.literal('request'), id: z.number().int(), what: z.enum(REQUEST_KINDS), params: z.record(z.string(), z.unknown()).optional() }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('pong') }),
]);
export type CpMessage = z.infer<typeof cpMessage>;
