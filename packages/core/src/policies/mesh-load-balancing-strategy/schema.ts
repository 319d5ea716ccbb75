import { z } from 'zod';
import { policyKind, uint32Schema, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshLoadBalancingStrategy (kumahq/kuma pkg/plugins/policies/meshloadbalancingstrategy): how a
 * service's endpoints are chosen — `loadBalancer` RoundRobin (Envoy's default), LeastRequest,
 * Random, RingHash and Maglev with their hash policies. `localityAwareness` is accepted (Kuma
 * manifests load) but meshcap has no zones or localities, so it changes nothing.
 */
const hashPolicySchema = z
  .strictObject({
    type: z.enum(['Header', 'Connection', 'QueryParameter', 'Cookie', 'FilterState']),
    terminal: z.boolean().optional(),
    header: z.strictObject({ name: z.string().min(1, 'must not be empty') }).optional(),
    connection: z.strictObject({ sourceIP: z.boolean().optional() }).optional(),
    queryParameter: z.strictObject({ name: z.string().min(1, 'must not be empty') }).optional(),
    cookie: z.unknown().optional(),
    filterState: z.unknown().optional(),
  })
  .superRefine((h, ctx) => {
    if (h.type === 'Cookie' || h.type === 'FilterState') ctx.addIssue({ code: 'custom', path: ['type'], message: `${h.type} hash policies are not supported by meshcap (use Header, Connection or QueryParameter)` });
    if (h.type === 'Header' && h.header === undefined) ctx.addIssue({ code: 'custom', path: ['header'], message: 'is required for type Header' });
    if (h.type === 'QueryParameter' && h.queryParameter === undefined) ctx.addIssue({ code: 'custom', path: ['queryParameter'], message: 'is required for type QueryParameter' });
    if (h.type === 'Connection' && h.connection?.sourceIP !== true) ctx.addIssue({ code: 'custom', path: ['connection', 'sourceIP'], message: 'must be true for type Connection' });
  });
export type HashPolicy = z.output<typeof hashPolicySchema>;

const hashPolicies = z.array(hashPolicySchema).max(8, 'at most 8 hash policies').optional();

export const meshLoadBalancingStrategyConf = z.strictObject({
  localityAwareness: z.unknown().optional(),
  loadBalancer: z
    .strictObject({
      type: z.enum(['RoundRobin', 'LeastRequest', 'RingHash', 'Random', 'Maglev']),
      leastRequest: z.strictObject({ choiceCount: uint32Schema.min(2, 'must be at least 2').optional(), activeRequestBias: z.unknown().optional() }).optional(),
      ringHash: z
        .strictObject({
          hashFunction: z.enum(['XXHash', 'MurmurHash2']).optional(),
          minRingSize: uint32Schema.min(1, 'must be at least 1').max(8_388_608, 'must be at most 8388608').optional(),
          maxRingSize: uint32Schema.min(1, 'must be at least 1').max(8_388_608, 'must be at most 8388608').optional(),
          hashPolicies,
        })
        .optional(),
      maglev: z.strictObject({ tableSize: uint32Schema.min(1, 'must be at least 1').max(5_000_011, 'must be at most 5000011').optional(), hashPolicies }).optional(),
    })
    .superRefine((lb, ctx) => {
      const r = lb.ringHash;
      if (r?.minRingSize !== undefined && r.maxRingSize !== undefined && r.minRingSize > r.maxRingSize) ctx.addIssue({ code: 'custom', path: ['ringHash', 'minRingSize'], message: 'must not exceed maxRingSize' });
      const own = { LeastRequest: 'leastRequest', RingHash: 'ringHash', Maglev: 'maglev' } as const;
      for (const [type, field] of Object.entries(own)) {
        if (lb.type !== type && lb[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is only used with type ${type}` });
      }
    })
    .optional(),
});
export type MeshLoadBalancingStrategyConf = z.output<typeof meshLoadBalancingStrategyConf>;

export const meshLoadBalancingStrategySchema = policyKind({
  type: 'MeshLoadBalancingStrategy',
  conf: meshLoadBalancingStrategyConf,
  top: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'],
  to: ['Mesh', 'MeshService'],
});
export type MeshLoadBalancingStrategy = PolicyResourceOf<'MeshLoadBalancingStrategy', MeshLoadBalancingStrategyConf>;
