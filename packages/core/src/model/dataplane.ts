import { z } from 'zod';
import { ipAddress, port, PROTOCOL_TAG, resourceMeta, SERVICE_TAG, tags, type Protocol } from './common.ts';

const inbound = z.strictObject({
  /** Port the dataplane listens on (with transparent proxying: the port clients call). */
  port,
  /** Port the application listens on; defaults to `port`. */
  servicePort: port.optional(),
  /** Address of the application; defaults to 127.0.0.1. */
  serviceAddress: ipAddress.optional(),
  /** Address of this inbound; defaults to `networking.address`. */
  address: ipAddress.optional(),
  name: z.string().optional(),
  tags: tags.refine((t) => typeof t[SERVICE_TAG] === 'string' && t[SERVICE_TAG] !== '', {
    message: `must have a "${SERVICE_TAG}" tag`,
  }),
  health: z.strictObject({ ready: z.boolean() }).optional(),
  serviceProbe: z.looseObject({}).optional(),
  state: z.enum(['Ready', 'NotReady', 'Ignored']).optional(),
});

const outbound = z.strictObject({
  /** Local port the application calls (explicit mode), or the service's port (transparent mode). */
  port,
  /** Local address of the outbound listener; defaults to 127.0.0.1. */
  address: ipAddress.optional(),
  tags: tags.optional(),
  backendRef: z.looseObject({ kind: z.string(), name: z.string(), port: port.optional() }).optional(),
});

const transparentProxying = z.strictObject({
  redirectPortInbound: port.optional(),
  redirectPortOutbound: port.optional(),
  redirectPortInboundV6: port.optional(),
  ipFamilyMode: z.enum(['DualStack', 'IPv4', 'IPv6', 'dualstack', 'ipv4', 'ipv6']).optional(),
  directAccessServices: z.array(z.string()).optional(),
  reachableServices: z.array(z.string()).optional(),
  /** meshcap: how inbound traffic is captured. */
  inboundMode: z.enum(['redirect', 'tproxy']).optional(),
});

export const dataplaneSchema = z.looseObject({
  type: z.literal('Dataplane'),
  ...resourceMeta,
  networking: z.strictObject({
    address: ipAddress,
    advertisedAddress: ipAddress.optional(),
    inbound: z.array(inbound).default([]),
    outbound: z.array(outbound).default([]),
    transparentProxying: transparentProxying.optional(),
    admin: z.strictObject({ port }).optional(),
    gateway: z.looseObject({}).optional(),
  }),
});

export type Dataplane = z.infer<typeof dataplaneSchema>;
export type DataplaneInbound = Dataplane['networking']['inbound'][number];
export type DataplaneOutbound = Dataplane['networking']['outbound'][number];

export const DEFAULT_REDIRECT_PORT_INBOUND = 15006;
export const DEFAULT_REDIRECT_PORT_OUTBOUND = 15001;

export function inboundAddress(dp: Dataplane, ib: DataplaneInbound): string {
  return ib.address ?? dp.networking.address;
}

/** Envoy/Kuma listener name of an inbound: `inbound:10.244.0.6:5000`. */
export function inboundListenerName(dp: Dataplane, ib: DataplaneInbound): string {
  return `inbound:${inboundAddress(dp, ib)}:${ib.port}`;
}

/** Envoy/Kuma listener name of an outbound: `outbound:127.0.0.1:33033`. */
export function outboundListenerName(ob: DataplaneOutbound): string {
  return `outbound:${ob.address ?? '127.0.0.1'}:${ob.port}`;
}

export function protocolOf(t: Record<string, string> | undefined): Protocol {
  const p = t?.[PROTOCOL_TAG];
  return p === 'http' || p === 'http2' || p === 'grpc' || p === 'kafka' ? p : 'tcp';
}

export function serviceOf(t: Record<string, string> | undefined): string | undefined {
  return t?.[SERVICE_TAG];
}

/** True when the dataplane declares transparent proxying (capture by kernel rules). */
export function isTransparent(dp: Dataplane): boolean {
  return dp.networking.transparentProxying !== undefined;
}
