import { z } from 'zod';
import { policyKind, type PolicyResourceOf } from '../../model/policies/common.ts';
import { backendRefsSchema, type BackendRef } from '../mesh-http-route/schema.ts';

/**
 * MeshTCPRoute (kumahq/kuma pkg/plugins/policies/meshtcproute/api/v1alpha1): per destination service,
 * one rule whose `default.backendRefs` split its connections by weight over services or subsets.
 */
export const tcpRuleSchema = z.strictObject({ default: z.strictObject({ backendRefs: backendRefsSchema.optional() }) });
export type TcpRule = z.output<typeof tcpRuleSchema>;

export interface MeshTCPRouteConf {
  rules: TcpRule[];
}

export const meshTCPRouteSchema = policyKind({
  type: 'MeshTCPRoute',
  conf: z.never(),
  // Kuma takes one rule per entry (its validation: "must have exactly one rule").
  rules: z.array(tcpRuleSchema).length(1, 'must have exactly one rule'),
  top: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'],
  to: ['MeshService'],
}) as unknown as z.ZodType<PolicyResourceOf<'MeshTCPRoute', MeshTCPRouteConf>>;
export type MeshTCPRoute = PolicyResourceOf<'MeshTCPRoute', MeshTCPRouteConf>;

/** The merged conf: the later entry's backendRefs win (Kuma merges TCP route rules as one). */
export function mergeTcpRouteConfs(confs: readonly MeshTCPRouteConf[]): MeshTCPRouteConf | undefined {
  let backendRefs: BackendRef[] | undefined;
  for (const c of confs) for (const r of c.rules) if (r.default.backendRefs !== undefined) backendRefs = r.default.backendRefs;
  return confs.length === 0 ? undefined : { rules: [{ default: backendRefs ? { backendRefs } : {} }] };
}
