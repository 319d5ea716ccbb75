import type { InboundPolicyType, PermissionAction, PolicyConfs } from '../model/policies/index.ts';
import { firstMatchingRule, type IdentityTags } from './subsets.ts';
import type { InboundPolicies, InboundPolicy, SourceIdentity, SourceRule } from './types.ts';

/**
 * What the proxy calls per connection or request to read a compiled config. Lookups only: no
 * merging, no allocation beyond the result.
 */

const NO_TAGS: IdentityTags = Object.freeze({});

/**
 * `::ffff:198.18.0.1` (an IPv4 client on a dual-stack socket) is `198.18.0.1`. For socket addresses,
 * which the kernel already prints canonically, this is all of {@link canonicalAddress} that applies,
 * without its IPv6 re-parse on every request.
 */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The identity of a source address: the dataplane(s) owning it. Unknown addresses have none. */
export function identityOf(identities: readonly SourceIdentity[], address: string): SourceIdentity | undefined {
  const a = normalizeAddress(address);
  return identities.find((i) => i.address === a);
}

/** The rule that applies to a client with these tags (first match), if any. */
export function sourceRuleFor<C>(policy: InboundPolicy<C>, tags: IdentityTags): SourceRule<C> | undefined {
  return firstMatchingRule(policy.rules, tags);
}

/** The rule of one policy type on an inbound for a client at `sourceAddress`. */
export function inboundRuleFor<T extends InboundPolicyType>(
  inbound: InboundPolicies,
  type: T,
  identities: readonly SourceIdentity[],
  sourceAddress: string,
): SourceRule<PolicyConfs[T]> | undefined {
  const policy = inbound.policies[type] as InboundPolicy<PolicyConfs[T]> | undefined;
  if (!policy) return undefined;
  const tags = policy.sourceDependent ? (identityOf(identities, sourceAddress)?.tags ?? NO_TAGS) : NO_TAGS;
  return sourceRuleFor(policy, tags);
}

export interface PermissionDecision {
  action: PermissionAction;
  /** The rule that decided; absent when no MeshTrafficPermission covers the client (then Deny). */
  rule?: SourceRule<PolicyConfs['MeshTrafficPermission']>;
}

/**
 * The MeshTrafficPermission decision for a client, or undefined when no MeshTrafficPermission
 * applies to the inbound (meshcap then lets traffic through, as Kuma does without mTLS). When some
 * apply but none covers the client, the answer is Deny, as in Kuma.
 */
export function permissionFor(inbound: InboundPolicies, identities: readonly SourceIdentity[], sourceAddress: string): PermissionDecision | undefined {
  const policy = inbound.policies.MeshTrafficPermission;
  if (!policy || policy.rules.length === 0) return undefined;
  const rule = inboundRuleFor(inbound, 'MeshTrafficPermission', identities, sourceAddress);
  return rule ? { action: rule.conf.action, rule } : { action: 'Deny' };
}
