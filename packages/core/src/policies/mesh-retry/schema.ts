import { z } from 'zod';
import { durationSchema, headerMatchSchema, policyKind, positiveDuration, uint32Schema, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshRetry (kumahq/kuma pkg/plugins/policies/meshretry): retries on an outbound. `retryOn` takes
 * Kuma's names (5xx, GatewayError, Reset, ConnectFailure, …, HttpMethodGet, …) or a status code.
 * Kuma writes both "5xx" and "5XX"; they load as "5xx".
 */
export const HTTP_RETRY_ON = [
  '5xx', 'GatewayError', 'Reset', 'Retriable4xx', 'ConnectFailure', 'EnvoyRatelimited', 'RefusedStream', 'Http3PostConnectFailure',
  'HttpMethodConnect', 'HttpMethodDelete', 'HttpMethodGet', 'HttpMethodHead', 'HttpMethodOptions', 'HttpMethodPatch',
  'HttpMethodPost', 'HttpMethodPut', 'HttpMethodTrace',
] as const;
export type HttpRetryOnCondition = (typeof HTTP_RETRY_ON)[number];
/** A condition name, or a status code as a string ("503"). */
export type HttpRetryOn = HttpRetryOnCondition | `${number}`;

const httpRetryOn = z
  .union([z.string(), z.number()], { error: `must be one of ${HTTP_RETRY_ON.join(', ')} or an HTTP status code` })
  .transform((v) => (v === '5XX' ? '5xx' : String(v)))
  .refine((v) => (HTTP_RETRY_ON as readonly string[]).includes(v) || (/^\d{3}$/.test(v) && Number(v) >= 100 && Number(v) <= 599), {
    message: `must be one of ${HTTP_RETRY_ON.join(', ')} or an HTTP status code (100..599)`,
  })
  .transform((v) => v as HttpRetryOn);

export const GRPC_RETRY_ON = ['Canceled', 'DeadlineExceeded', 'Internal', 'ResourceExhausted', 'Unavailable'] as const;
export type GrpcRetryOn = (typeof GRPC_RETRY_ON)[number];

const backOff = z.strictObject({
  /** First wait between attempts; Kuma's default 25ms. */
  baseInterval: positiveDuration().optional(),
  /** Cap of the exponential backoff; default 10 × baseInterval. */
  maxInterval: positiveDuration().optional(),
});
const rateLimitedBackOff = z.strictObject({
  resetHeaders: z.array(z.strictObject({ name: z.string().min(1), format: z.enum(['Seconds', 'UnixTimestamp']) })).optional(),
  maxInterval: positiveDuration().optional(),
});

export const meshRetryConf = z.strictObject({
  tcp: z.strictObject({ maxConnectAttempt: uint32Schema.optional() }).optional(),
  http: z
    .strictObject({
      /** Retries after the first attempt; Envoy's default 1. */
      numRetries: uint32Schema.optional(),
      perTryTimeout: durationSchema.optional(),
      backOff: backOff.optional(),
      rateLimitedBackOff: rateLimitedBackOff.optional(),
      retryOn: z.array(httpRetryOn).optional(),
      retriableResponseHeaders: z.array(headerMatchSchema).optional(),
      retriableRequestHeaders: z.array(headerMatchSchema).optional(),
      hostSelection: z
        .array(z.strictObject({ predicate: z.enum(['OmitPreviousHosts', 'OmitHostsWithTags', 'OmitPreviousPriorities']), tags: z.record(z.string(), z.string()).optional(), updateFrequency: z.number().int().optional() }))
        .optional(),
      hostSelectionMaxAttempts: z.number().int().min(0).optional(),
    })
    .optional(),
  grpc: z
    .strictObject({
      numRetries: uint32Schema.optional(),
      perTryTimeout: durationSchema.optional(),
      backOff: backOff.optional(),
      rateLimitedBackOff: rateLimitedBackOff.optional(),
      retryOn: z.array(z.enum(GRPC_RETRY_ON, { error: `must be one of ${GRPC_RETRY_ON.join(', ')}` })).optional(),
    })
    .optional(),
});
export type MeshRetryConf = z.output<typeof meshRetryConf>;

export const meshRetrySchema = policyKind({ type: 'MeshRetry', conf: meshRetryConf, to: ['Mesh', 'MeshService'] });
export type MeshRetry = PolicyResourceOf<'MeshRetry', MeshRetryConf>;
