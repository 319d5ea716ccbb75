import { z } from 'zod';
import { headerModifierSchema, httpStatusSchema, policyKind, positiveDuration, uint32Schema, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshRateLimit (kumahq/kuma pkg/plugins/policies/meshratelimit): local, per-instance limits on an
 * inbound — HTTP requests per interval (answered 429 by default) and TCP connections per interval.
 * Envoy's token bucket: `num` tokens, refilled every `interval`; intervals under 50ms are refused.
 */
const rate = z.strictObject({ num: uint32Schema, interval: positiveDuration('50ms') });

export const meshRateLimitConf = z.strictObject({
  local: z
    .strictObject({
      http: z
        .strictObject({
          disabled: z.boolean().optional(),
          requestRate: rate.optional(),
          onRateLimit: z.strictObject({ status: httpStatusSchema.optional(), headers: headerModifierSchema.optional() }).optional(),
        })
        .optional(),
      tcp: z.strictObject({ disabled: z.boolean().optional(), connectionRate: rate.optional() }).optional(),
    })
    .optional(),
});
export type MeshRateLimitConf = z.output<typeof meshRateLimitConf>;

/** Status of a rate-limited HTTP request when `onRateLimit.status` is not set. */
export const RATE_LIMIT_DEFAULT_STATUS = 429;

export const meshRateLimitSchema = policyKind({ type: 'MeshRateLimit', conf: meshRateLimitConf, from: ['Mesh'] });
export type MeshRateLimit = PolicyResourceOf<'MeshRateLimit', MeshRateLimitConf>;
