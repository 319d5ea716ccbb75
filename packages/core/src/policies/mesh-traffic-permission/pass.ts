import type { InboundPolicy, SourceIdentity } from '../../policy/index.ts';
import type { ActingPolicy, HttpPass, TcpPass } from '../../proxy/chain.ts';
import { inboundSource, type Applied, type ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass, policyTcpPass } from '../../proxy/policies/policy-pass.ts';
import type { MeshTrafficPermissionConf } from './schema.ts';
import type { FlowRecord } from '../../flows/index.ts';
import { allowingPolicy } from './identity.ts';

/**
 * MeshTrafficPermission on an inbound. Over mTLS the client is its verified certificate (the
 * chain's RBAC names identities, `byIdentity`); otherwise whoever owns the connection's source
 * address: the first rule whose client subset contains that identity decides. Policies on the inbound but no rule for the client: Deny, as Kuma's RBAC does.
 * Allow and AllowWithShadowDeny let the traffic through (the latter recorded as a shadow deny);
 * Deny answers HTTP 403 or closes a TCP connection before any upstream is contacted.
 */

/** Who is credited with a Deny that no rule made (the client matched none of the rules). */
export const DEFAULT_DENY: ActingPolicy = { type: 'MeshTrafficPermission', name: '(default deny)' };

/** Envoy's RBAC filter answers with this body. */
export const PERMISSION_DENIED_BODY = 'RBAC: access denied\n';
export const PERMISSION_DENIED_REASON = 'rbac_access_denied';

type Permission = Applied<MeshTrafficPermissionConf>;

export function permissionSource(policy: InboundPolicy<MeshTrafficPermissionConf> | undefined, identities: readonly SourceIdentity[]): ConfSource<Permission> {
  return inboundSource(policy, identities, () => ({ conf: { action: 'Deny' }, policy: DEFAULT_DENY }));
}

const NO_IDENTITY: ReadonlySet<string> = new Set();

/**
 * Under mTLS the chain's RBAC names identities: the first policy admitting the peer's verified
 * SANs is credited; none admitting it is a Deny. A peer whose certificate was not verified has no
 * identity (it matches only rules for every client).
 */
function byIdentity(p: Permission, flow: Readonly<FlowRecord>): Permission {
  const identity = p.conf.identity;
  if (!identity) return p;
  const sans = flow.tls?.verified && flow.tls.peer ? new Set(flow.tls.peer) : NO_IDENTITY;
  const allow = allowingPolicy(identity, sans);
  if (!allow) return { conf: { action: 'Deny' }, policy: DEFAULT_DENY };
  return { conf: { action: 'Allow' }, policy: { type: 'MeshTrafficPermission', name: allow.name.replace(/#\d+$/, '') } };
}

/** What the flow says about an allowed client; a Deny is recorded by whoever refuses. */
function allowAction(p: Permission): string {
  return p.conf.action === 'AllowWithShadowDeny' ? 'shadow deny (allowed)' : 'allow';
}

export function trafficPermissionTcpPass(source: ConfSource<Permission>): TcpPass | undefined {
  return policyTcpPass('MeshTrafficPermission', 'traffic-permission', source, {
    onConnect(ctx, picked) {
      const p = byIdentity(picked, ctx.flow);
      if (p.conf.action === 'Deny') ctx.deny(p.policy, PERMISSION_DENIED_REASON);
      else ctx.record(p.policy, allowAction(p));
    },
  });
}

export function trafficPermissionHttpPass(source: ConfSource<Permission>): HttpPass | undefined {
  return policyHttpPass('MeshTrafficPermission', 'traffic-permission', source, {
    onRequest(ctx, picked) {
      const p = byIdentity(picked, ctx.flow);
      if (p.conf.action !== 'Deny') {
        ctx.record(p.policy, allowAction(p));
        return;
      }
      ctx.record(p.policy, 'deny 403');
      ctx.respond({ status: 403, body: PERMISSION_DENIED_BODY, verdict: 'denied', reason: PERMISSION_DENIED_REASON });
    },
  });
}
