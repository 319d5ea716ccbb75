import { ENVOY_TYPES } from '../../xds/envoy-json.ts';
import { fields, list, optStr, reject, str, typed, type Json } from '../../proxy/xds-config/reader.ts';
import type { MeshTrafficPermissionConf, PermissionAction } from './schema.ts';
import { decodePrincipal, type IdentityPolicy } from './identity.ts';

/**
 * RBAC (HTTP and network) back into the MeshTrafficPermission action the permission pass runs. The
 * filter chain picks the client, so the rules meshcap honours are the ones that do not look at the
 * request: a policy for any principal and any permission (everyone), or none (no one).
 */

/** True when `rules` let everyone through, false when they let no one through. */
function allowsAll(value: unknown, where: string): boolean {
  return ruleSet(value, where).allowsAll;
}

/** Under mTLS: ALLOW rules whose principals name identities (`authenticated`), each policy a way in. */
function identityRules(value: unknown, where: string): IdentityPolicy[] | undefined {
  const r = fields(value, where, ['action', 'policies']);
  const policies = (r['policies'] ?? {}) as Json;
  const named = Object.entries(policies).some(([, p]) => JSON.stringify((p as Json)['principals']) !== '[{"any":true}]');
  if (!named) return undefined;
  if ((optStr(r['action'], `${where}.action`) ?? 'ALLOW') !== 'ALLOW') reject(`${where}.action`, 'identity principals are supported with ALLOW only');
  return Object.entries(policies).map(([name, p]) => {
    const at = `${where}.policies.${name}`;
    const q = fields(p, at, ['permissions', 'principals']);
    const perms = list(q['permissions'], `${at}.permissions`);
    if (perms.length !== 1 || JSON.stringify(perms[0]) !== '{"any":true}') reject(`${at}.permissions`, 'only [{any: true}] is supported');
    const principals = list(q['principals'], `${at}.principals`);
    if (principals.length !== 1) reject(`${at}.principals`, 'exactly one principal (use and_ids) is supported');
    return { name, principal: decodePrincipal(principals[0], `${at}.principals[0]`) };
  });
}

function ruleSet(value: unknown, where: string): { allowsAll: boolean } {
  const r = fields(value, where, ['action', 'policies']);
  const action = optStr(r['action'], `${where}.action`) ?? 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') reject(`${where}.action`, `"${action}" is not supported (ALLOW or DENY)`);
  const policies = r['policies'] === undefined ? {} : fields(r['policies'], `${where}.policies`, Object.keys(r['policies'] as Json));
  const names = Object.keys(policies);
  for (const name of names) {
    const at = `${where}.policies.${name}`;
    const p = fields(policies[name], at, ['permissions', 'principals']);
    const anyOnly = (key: string): void => {
      const entries = list(p[key], `${at}.${key}`);
      if (entries.length !== 1) reject(`${at}.${key}`, 'only [{any: true}] is supported (the filter chain already chose the client)');
      const e = fields(entries[0], `${at}.${key}[0]`, ['any']);
      if (e['any'] !== true) reject(`${at}.${key}[0].any`, 'only any: true is supported');
    };
    anyOnly('permissions');
    anyOnly('principals');
  }
  const matchesAll = names.length > 0;
  return { allowsAll: action === 'ALLOW' ? matchesAll : !matchesAll };
}

function conf(c: Json, where: string): MeshTrafficPermissionConf {
  const identity = c['rules'] === undefined ? undefined : identityRules(c['rules'], `${where}.rules`);
  if (identity) {
    if (c['shadow_rules'] !== undefined) reject(`${where}.shadow_rules`, 'not supported with identity principals');
    return { action: 'Allow', identity };
  }
  return { action: action(c, where) };
}

function action(c: Json, where: string): PermissionAction {
  const enforced = c['rules'] === undefined ? true : allowsAll(c['rules'], `${where}.rules`);
  if (c['shadow_rules'] === undefined) return enforced ? 'Allow' : 'Deny';
  const shadow = allowsAll(c['shadow_rules'], `${where}.shadow_rules`);
  if (!enforced || shadow) reject(`${where}.shadow_rules`, 'supported only as a deny-all shadow of allow-all rules (MeshTrafficPermission AllowWithShadowDeny)');
  return 'AllowWithShadowDeny';
}

export function decodeHttpRbac(config: unknown, where: string): MeshTrafficPermissionConf {
  const c = typed(config, where, ENVOY_TYPES.httpRbac, ['rules', 'shadow_rules', 'shadow_rules_stat_prefix']);
  return conf(c, where);
}

export function decodeNetworkRbac(config: unknown, where: string): MeshTrafficPermissionConf {
  const c = typed(config, where, ENVOY_TYPES.networkRbac, ['rules', 'shadow_rules', 'stat_prefix', 'shadow_rules_stat_prefix']);
  if (c['stat_prefix'] !== undefined) str(c['stat_prefix'], `${where}.stat_prefix`);
  return conf(c, where);
}
