import { z } from 'zod';
import type { IdentityPolicy } from './identity.ts';
import { policyKind, TARGET_REF_KINDS, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshTrafficPermission (kumahq/kuma pkg/plugins/policies/meshtrafficpermission): which clients may
 * reach an inbound. Kuma 2.0–2.1 spelled the actions ALLOW / DENY / ALLOW_WITH_SHADOW_DENY; both
 * spellings load and are normalised to the current one.
 */
const LEGACY_ACTIONS = { ALLOW: 'Allow', DENY: 'Deny', ALLOW_WITH_SHADOW_DENY: 'AllowWithShadowDeny' } as const;

export const permissionActionSchema = z
  .enum(['Allow', 'Deny', 'AllowWithShadowDeny', 'ALLOW', 'DENY', 'ALLOW_WITH_SHADOW_DENY'], { error: 'must be Allow, Deny or AllowWithShadowDeny' })
  .transform((a) => (a in LEGACY_ACTIONS ? LEGACY_ACTIONS[a as keyof typeof LEGACY_ACTIONS] : a) as PermissionAction);

/** Allow: let it through. Deny: refuse (HTTP 403 / TCP close). AllowWithShadowDeny: let it through, record it as if denied. */
export type PermissionAction = 'Allow' | 'Deny' | 'AllowWithShadowDeny';

export const meshTrafficPermissionConf = z.strictObject({ action: permissionActionSchema });
export interface MeshTrafficPermissionConf {
  action: PermissionAction;
  /**
   * Under mTLS (decoded from RBAC principals, never written by users): the ways in by verified
   * identity; a peer none of them admits is denied.
   */
  identity?: IdentityPolicy[];
}

export const meshTrafficPermissionSchema = policyKind({ type: 'MeshTrafficPermission', conf: meshTrafficPermissionConf, from: TARGET_REF_KINDS });
export type MeshTrafficPermission = PolicyResourceOf<'MeshTrafficPermission', MeshTrafficPermissionConf>;
