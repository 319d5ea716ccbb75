import { compact, ENVOY_FILTERS, ENVOY_TYPES, typedExtension, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { PermissionAction } from './schema.ts';

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
function rbacConfig(action: PermissionAction): { rules: EnvoyMessage; shadow?: EnvoyMessage } {
  return { rules: rbacRules(action !== 'Deny'), shadow: action === 'AllowWithShadowDeny' ? rbacRules(false) : undefined };
}

export function httpRbacFilter(action: PermissionAction): EnvoyMessage {
  const { rules: enforced, shadow } = rbacConfig(action);
  return typedExtension(ENVOY_FILTERS.rbac, ENVOY_TYPES.httpRbac, compact({ rules: enforced, shadow_rules: shadow, shadow_rules_stat_prefix: shadow && 'shadow_' }));
}

export function networkRbacFilter(action: PermissionAction, statPrefix: string): EnvoyMessage {
  const { rules: enforced, shadow } = rbacConfig(action);
  return typedExtension(ENVOY_FILTERS.networkRbac, ENVOY_TYPES.networkRbac, compact({ rules: enforced, shadow_rules: shadow, stat_prefix: statPrefix }));
}
