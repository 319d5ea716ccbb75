import { compact, ENVOY_FILTERS, ENVOY_TYPES, typedExtension, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { PermissionAction } from './schema.ts';
import { identityRbacRules, type IdentityPolicy } from './identity.ts';

// MeshTrafficPermission → RBAC (HTTP and network filters), as Kuma generates it.

/**
 * The filter chain already selected the client, so the action is the chain's: an ALLOW RBAC with
 * one policy for any principal, or (Deny) without policies, which denies all.
 */
function rbacRules(allow: boolean): EnvoyMessage {
  // action ALLOW is the enum's zero value, so it is left out.
  return allow ? { policies: { MeshTrafficPermission: { permissions: [{ any: true }], principals: [{ any: true }] } } } : {};
}

/** Enforced: Allow and AllowWithShadowDeny pass. Shadow (AllowWithShadowDeny): denied. */
function rbacConfig(action: PermissionAction, identity?: readonly IdentityPolicy[]): { rules: EnvoyMessage; shadow?: EnvoyMessage } {
  // Under mTLS the chain does not know the client: the RBAC names who may enter.
  if (identity) return { rules: identityRbacRules(identity) };
  return { rules: rbacRules(action !== 'Deny'), shadow: action === 'AllowWithShadowDeny' ? rbacRules(false) : undefined };
}

export function httpRbacFilter(action: PermissionAction, identity?: readonly IdentityPolicy[]): EnvoyMessage {
  const { rules: enforced, shadow } = rbacConfig(action, identity);
  return typedExtension(ENVOY_FILTERS.rbac, ENVOY_TYPES.httpRbac, compact({ rules: enforced, shadow_rules: shadow, shadow_rules_stat_prefix: shadow && 'shadow_' }));
}

export function networkRbacFilter(action: PermissionAction, statPrefix: string, identity?: readonly IdentityPolicy[]): EnvoyMessage {
  const { rules: enforced, shadow } = rbacConfig(action, identity);
  return typedExtension(ENVOY_FILTERS.networkRbac, ENVOY_TYPES.networkRbac, compact({ rules: enforced, shadow_rules: shadow, stat_prefix: statPrefix }));
}
