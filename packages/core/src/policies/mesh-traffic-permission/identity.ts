import type { SubsetTag } from '../../policy/index.ts';
import { SERVICE_TAG } from '../../model/common.ts';
import type { EnvoyMessage } from '../../xds/envoy-json.ts';
import { fields, list, reject, str } from '../../proxy/xds-config/reader.ts';
import type { PermissionAction } from './schema.ts';

/**
 * MeshTrafficPermission under mTLS: the client is the identity in its verified certificate
 * (`spiffe://<mesh>/<service>` and `kuma://<tag>/<value>` URI SANs), never its source address.
 * The rules, first match wins, become one ALLOW RBAC whose policies are the Allow rules, each
 * excluding the Deny rules before it, with principals on `authenticated.principal_name` as Kuma
 * renders them. The dataplane evaluates those principals against the peer certificate's URI SANs.
 */

export interface IdentityRule {
  subset: readonly SubsetTag[];
  action: PermissionAction;
  /** The MeshTrafficPermission credited on flows. */
  policy: string;
}

/** Envoy RBAC principals, as far as meshcap renders and enforces them. */
export type Principal = { any: true } | { id: string } | { and: Principal[] } | { not: Principal };

/** An RBAC policy the dataplane evaluates: allowed when `principal` matches the peer's identity. */
export interface IdentityPolicy {
  name: string;
  principal: Principal;
}

function tagPrincipalName(mesh: string, t: SubsetTag): string {
  return t.key === SERVICE_TAG ? `spiffe://${mesh}/${t.value}` : `kuma://${t.key}/${t.value}`;
}

function subsetPrincipal(mesh: string, subset: readonly SubsetTag[]): Principal {
  const ids = subset.map((t): Principal => (t.not ? { not: { id: tagPrincipalName(mesh, t) } } : { id: tagPrincipalName(mesh, t) }));
  if (ids.length === 0) return { any: true };
  return ids.length === 1 ? ids[0]! : { and: ids };
}

/** The rules as RBAC policies: rule i allows when its subset matches and no earlier Deny rule's does. */
export function identityPolicies(mesh: string, rules: readonly IdentityRule[]): IdentityPolicy[] {
  const out: IdentityPolicy[] = [];
  const names = new Set<string>();
  rules.forEach((r, i) => {
    if (r.action === 'Deny') return;
    const earlierDenies = rules.slice(0, i).filter((d) => d.action === 'Deny').map((d): Principal => ({ not: subsetPrincipal(mesh, d.subset) }));
    const own = subsetPrincipal(mesh, r.subset);
    const principal: Principal = earlierDenies.length === 0 ? own : { and: [own, ...earlierDenies] };
    let name = r.policy;
    for (let n = 2; names.has(name); n++) name = `${r.policy}#${n}`;
    names.add(name);
    out.push({ name, principal });
  });
  return out;
}

function principalJson(p: Principal): EnvoyMessage {
  if ('any' in p) return { any: true };
  if ('id' in p) return { authenticated: { principal_name: { exact: p.id } } };
  if ('not' in p) return { not_id: principalJson(p.not) };
  return { and_ids: { ids: p.and.map(principalJson) } };
}

/** RBAC `rules` (action ALLOW, the enum's zero, left out) of the identity policies. */
export function identityRbacRules(policies: readonly IdentityPolicy[]): EnvoyMessage {
  return policies.length === 0 ? {} : { policies: Object.fromEntries(policies.map((p) => [p.name, { permissions: [{ any: true }], principals: [principalJson(p.principal)] }])) };
}

/** Reads a principal back; anything else is refused (it would be ignored). */
export function decodePrincipal(value: unknown, where: string): Principal {
  const o = fields(value, where, ['any', 'authenticated', 'and_ids', 'not_id']);
  const keys = Object.keys(o);
  if (keys.length !== 1) reject(where, 'exactly one of any, authenticated, and_ids, not_id');
  if (o['any'] !== undefined) {
    if (o['any'] !== true) reject(`${where}.any`, 'only any: true is supported');
    return { any: true };
  }
  if (o['authenticated'] !== undefined) {
    const a = fields(o['authenticated'], `${where}.authenticated`, ['principal_name']);
    const m = fields(a['principal_name'], `${where}.authenticated.principal_name`, ['exact']);
    return { id: str(m['exact'], `${where}.authenticated.principal_name.exact`) };
  }
  if (o['not_id'] !== undefined) return { not: decodePrincipal(o['not_id'], `${where}.not_id`) };
  const and = fields(o['and_ids'], `${where}.and_ids`, ['ids']);
  return { and: list(and['ids'], `${where}.and_ids.ids`).map((p, i) => decodePrincipal(p, `${where}.and_ids.ids[${i}]`)) };
}

/** Whether a principal matches a peer whose verified certificate carries these URI SANs (none: no verified peer). */
export function principalMatches(p: Principal, sans: ReadonlySet<string>): boolean {
  if ('any' in p) return true;
  if ('id' in p) return sans.has(p.id);
  if ('not' in p) return !principalMatches(p.not, sans);
  return p.and.every((q) => principalMatches(q, sans));
}

/** The first identity policy that lets this peer through, or undefined (denied). */
export function allowingPolicy(policies: readonly IdentityPolicy[], sans: ReadonlySet<string>): IdentityPolicy | undefined {
  for (const p of policies) if (principalMatches(p.principal, sans)) return p;
  return undefined;
}
