import { ENVOY_TYPES } from '../../xds/envoy-json.ts';
import { fields, list, optStr, reject, str, typed, type Json } from '../../proxy/xds-config/reader.ts';
import type { PermissionAction } from './schema.ts';

/**
 * RBAC (HTTP and network) back into the MeshTrafficPermission action the permission pass runs. The
 * filter chain picks the client, so the rules meshcap honours are the ones that do not look at the
 * request: a policy for any principal and any permission (everyone), or none (no one).
 */

/** True when `rules` let everyone through, false when they let no one through. */
function allowsAll(value: unknown, where: string): boolean {
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
  return action === 'ALLOW' ? matchesAll : !matchesAll;
}

function action(c: Json, where: string): PermissionAction {
  const enforced = c['rules'] === undefined ? true : allowsAll(c['rules'], `${where}.rules`);
  if (c['shadow_rules'] === undefined) return enforced ? 'Allow' : 'Deny';
  const shadow = allowsAll(c['shadow_rules'], `${where}.shadow_rules`);
  if (!enforced || shadow) reject(`${where}.shadow_rules`, 'supported only as a deny-all shadow of allow-all rules (MeshTrafficPermission AllowWithShadowDeny)');
  return 'AllowWithShadowDeny';
}

export function decodeHttpRbac(config: unknown, where: string): PermissionAction {
  const c = typed(config, where, ENVOY_TYPES.httpRbac, ['rules', 'shadow_rules', 'shadow_rules_stat_prefix']);
  return action(c, where);
}

export function decodeNetworkRbac(config: unknown, where: string): PermissionAction {
  const c = typed(config, where, ENVOY_TYPES.networkRbac, ['rules', 'shadow_rules', 'stat_prefix', 'shadow_rules_stat_prefix']);
  if (c['stat_prefix'] !== undefined) str(c['stat_prefix'], `${where}.stat_prefix`);
  return action(c, where);
}
