import { z } from 'zod';
import { durationSchema, httpStatusSchema, percentageSchema, policyKind, TARGET_REF_KINDS, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshFaultInjection (kumahq/kuma pkg/plugins/policies/meshfaultinjection): HTTP faults on an
 * inbound, per client. Faults in `http[]` run in order; each one's percentage applies to the requests
 * the previous ones let through (Kuma docs, "MeshFaultInjection › Configuration").
 */

/** "50Mbps", "10kbps", "1Gbps", "800bps" (Kuma's ValidateBandwidth). */
const BANDWIDTH_RE = /^(\d+(?:\.\d+)?)\s?(Gbps|Mbps|kbps|bps)$/;
const BANDWIDTH_UNIT: Record<string, number> = { Gbps: 1e9, Mbps: 1e6, kbps: 1e3, bps: 1 };

/** Bits per second in a Kuma bandwidth ("50Mbps" → 50_000_000). Throws on a malformed one. */
export function bandwidthToBitsPerSecond(text: string): number {
  const m = BANDWIDTH_RE.exec(text);
  if (!m) throw new RangeError(`not a bandwidth: "${text}"`);
  return Number(m[1]) * (BANDWIDTH_UNIT[m[2]!] ?? 1);
}

export const bandwidthSchema = z.string({ error: 'must be a bandwidth such as "50Mbps", "10kbps" or "1Gbps"' }).regex(BANDWIDTH_RE, 'must be a bandwidth such as "50Mbps", "10kbps" or "1Gbps"');

const fault = z.strictObject({
  /**
   * Answer with `httpStatus` instead of forwarding; or (meshcap, as Envoy's fault filter
   * `abort.grpc_status`; Kuma has only httpStatus) a gRPC answer with `grpcStatus`.
   */
  abort: z
    .strictObject({ httpStatus: httpStatusSchema.optional(), grpcStatus: z.number().int('must be a whole number').min(0, 'must be 0..16').max(16, 'must be 0..16').optional(), percentage: percentageSchema })
    .refine((a) => (a.httpStatus === undefined) !== (a.grpcStatus === undefined), { message: 'needs exactly one of httpStatus or grpcStatus' })
    .optional(),
  /** Hold the request for `value` before forwarding. */
  delay: z.strictObject({ value: durationSchema, percentage: percentageSchema }).optional(),
  /** Throttle the response body to `limit`. */
  responseBandwidth: z.strictObject({ limit: bandwidthSchema, percentage: percentageSchema }).optional(),
});

export const meshFaultInjectionConf = z.strictObject({ http: z.array(fault).optional() });
export type MeshFaultInjectionConf = z.output<typeof meshFaultInjectionConf>;
export type FaultInjectionFault = z.output<typeof fault>;

export const meshFaultInjectionSchema = policyKind({ type: 'MeshFaultInjection', conf: meshFaultInjectionConf, from: TARGET_REF_KINDS });
export type MeshFaultInjection = PolicyResourceOf<'MeshFaultInjection', MeshFaultInjectionConf>;
