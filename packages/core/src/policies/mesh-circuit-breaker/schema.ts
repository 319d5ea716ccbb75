import { z } from 'zod';
import { durationSchema, policyKind, uint32Schema, type PolicyResourceOf } from '../../model/policies/common.ts';

/** MeshCircuitBreaker (kumahq/kuma pkg/plugins/policies/meshcircuitbreaker): connection limits and outlier detection. */
const intOrDecimal = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a number')]).transform((v) => Number(v));

export const meshCircuitBreakerConf = z.strictObject({
  connectionLimits: z
    .strictObject({
      maxConnections: uint32Schema.optional(),
      maxConnectionPools: uint32Schema.optional(),
      maxPendingRequests: uint32Schema.optional(),
      maxRetries: uint32Schema.optional(),
      maxRequests: uint32Schema.optional(),
    })
    .optional(),
  outlierDetection: z
    .strictObject({
      disabled: z.boolean().optional(),
      interval: durationSchema.optional(),
      baseEjectionTime: durationSchema.optional(),
      maxEjectionPercent: uint32Schema.max(100, 'must be between 0 and 100').optional(),
      splitExternalAndLocalErrors: z.boolean().optional(),
      detectors: z
        .strictObject({
          totalFailures: z.strictObject({ consecutive: uint32Schema.optional() }).optional(),
          gatewayFailures: z.strictObject({ consecutive: uint32Schema.optional() }).optional(),
          localOriginFailures: z.strictObject({ consecutive: uint32Schema.optional() }).optional(),
          successRate: z.strictObject({ minimumHosts: uint32Schema.optional(), requestVolume: uint32Schema.optional(), standardDeviationFactor: intOrDecimal.optional() }).optional(),
          failurePercentage: z.strictObject({ minimumHosts: uint32Schema.optional(), requestVolume: uint32Schema.optional(), threshold: uint32Schema.max(100, 'must be between 0 and 100').optional() }).optional(),
        })
        .optional(),
      healthyPanicThreshold: intOrDecimal.pipe(z.number().max(100, 'must be between 0 and 100')).optional(),
    })
    .optional(),
});
export type MeshCircuitBreakerConf = z.output<typeof meshCircuitBreakerConf>;

export const meshCircuitBreakerSchema = policyKind({ type: 'MeshCircuitBreaker', conf: meshCircuitBreakerConf, from: ['Mesh'], to: ['Mesh', 'MeshService'] });
export type MeshCircuitBreaker = PolicyResourceOf<'MeshCircuitBreaker', MeshCircuitBreakerConf>;
