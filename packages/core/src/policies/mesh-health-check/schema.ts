import { z } from 'zod';
import { durationSchema, headerModifierSchema, httpStatusSchema, policyKind, positiveDuration, type PolicyResourceOf } from '../../model/policies/common.ts';

/** MeshHealthCheck (kumahq/kuma pkg/plugins/policies/meshhealthcheck): active checks of an outbound's endpoints. */
export const meshHealthCheckConf = z.strictObject({
  interval: positiveDuration().optional(),
  unhealthyInterval: positiveDuration().optional(),
  timeout: positiveDuration().optional(),
  unhealthyThreshold: z.number().int().min(1, 'must be at least 1').optional(),
  healthyThreshold: z.number().int().min(1, 'must be at least 1').optional(),
  initialJitter: durationSchema.optional(),
  intervalJitter: durationSchema.optional(),
  intervalJitterPercent: z.number().int().min(0).max(100, 'must be between 0 and 100').optional(),
  failTrafficOnPanic: z.boolean().optional(),
  eventLogPath: z.string().optional(),
  alwaysLogHealthCheckFailures: z.boolean().optional(),
  noTrafficInterval: positiveDuration().optional(),
  reuseConnection: z.boolean().optional(),
  tcp: z.strictObject({ disabled: z.boolean().optional(), send: z.string().optional(), receive: z.array(z.string()).optional() }).optional(),
  http: z
    .strictObject({
      disabled: z.boolean().optional(),
      path: z.string().optional(),
      requestHeadersToAdd: headerModifierSchema.optional(),
      expectedStatuses: z.array(httpStatusSchema).optional(),
    })
    .optional(),
  grpc: z.strictObject({ disabled: z.boolean().optional(), serviceName: z.string().optional(), authority: z.string().optional() }).optional(),
});
export type MeshHealthCheckConf = z.output<typeof meshHealthCheckConf>;

export const meshHealthCheckSchema = policyKind({ type: 'MeshHealthCheck', conf: meshHealthCheckConf, to: ['Mesh', 'MeshService'] });
export type MeshHealthCheck = PolicyResourceOf<'MeshHealthCheck', MeshHealthCheckConf>;
