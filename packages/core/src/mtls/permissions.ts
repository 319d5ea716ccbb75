import { identityPolicies } from '../policies/mesh-traffic-permission/identity.ts';
import type { ListenerPolicies } from '../xds/policy-input.ts';

/**
 * The policies of an inbound's mTLS filter chain: MeshTrafficPermission by verified identity
 * (RBAC principals), no client groups by source address (an address proves nothing once
 * identities are cryptographic). The other per-client types keep what an unknown client gets.
 */
export function mtlsChainPolicies(p: ListenerPolicies, mesh: string): ListenerPolicies {
  const { clientGroups: _groups, identityRules, ...rest } = p;
  if (!identityRules) return rest;
  const acting = [...(rest.acting ?? []).filter((a) => a.type !== 'MeshTrafficPermission'), ...[...new Set(identityRules.map((r) => r.policy))].map((name) => ({ type: 'MeshTrafficPermission', name }))];
  return { ...rest, MeshTrafficPermission: 'Allow', identityPolicies: identityPolicies(mesh, identityRules), acting };
}
