import { buildMangleTable } from './build-mangle.ts';
import { buildNatTable } from './build-nat.ts';
import { buildRawTable } from './build-raw.ts';
import { familyContext } from './build-context.ts';
import type { ResolvedTransparentProxyConfig } from './config.ts';
import { FAMILY_ADDRESSES, ROUTE_PROTOCOL } from './constants.ts';
import { BUILTIN_CHAINS, TABLE_ORDER, type CaptureRule, type CaptureRuleSet, type FamilyRules, type IpFamily } from './rules.ts';

/** Orders rules as the kernel holds them: by table, built-in chains first, then user chains by name; inserts before appends. */
function sortRules(rules: CaptureRule[], chainsByTable: Map<string, string[]>): CaptureRule[] {
  const chainRank = (r: CaptureRule) => {
    const builtin = BUILTIN_CHAINS[r.table].indexOf(r.chain);
    if (builtin !== -1) return builtin;
    return BUILTIN_CHAINS[r.table].length + (chainsByTable.get(r.table) ?? []).indexOf(r.chain);
  };
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort(
      (a, b) =>
        TABLE_ORDER.indexOf(a.rule.table) - TABLE_ORDER.indexOf(b.rule.table) ||
        chainRank(a.rule) - chainRank(b.rule) ||
        (a.rule.placement === b.rule.placement ? 0 : a.rule.placement === 'insert' ? -1 : 1) ||
        a.index - b.index,
    )
    .map((x) => x.rule);
}

function buildFamily(config: ResolvedTransparentProxyConfig, family: IpFamily): FamilyRules {
  const ctx = familyContext(config, family);
  const tables = [buildRawTable(ctx), buildMangleTable(ctx), buildNatTable(ctx)];
  const chainsByTable = new Map(tables.map((t) => [t.table, [...t.chains].sort()]));
  const chains = tables.flatMap((t) => (chainsByTable.get(t.table) ?? []).map((name) => ({ table: t.table, name })));
  const names = chains.map((c) => c.name);
  // The nftables backend keeps every chain in one table per family, so names must not repeat across tables.
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new Error(`internal: chain ${repeated} is declared in two tables`);
  return {
    family,
    chains,
    rules: sortRules(
      tables.flatMap((t) => t.rules),
      chainsByTable,
    ),
    ...(ctx.tproxy
      ? { routing: { mark: config.tproxyMark, table: config.tproxyRouteTable, protocol: ROUTE_PROTOCOL, destination: FAMILY_ADDRESSES[family].any } }
      : {}),
    loopbackAddresses: family === 'ipv6' ? [FAMILY_ADDRESSES.ipv6.inboundPassthroughSource] : [],
  };
}

/**
 * The complete rule set for a config, per IP family, as typed rules. Pure: no system access; the
 * config's host lookups (UID, nameservers) are done by resolveTransparentProxyConfig.
 */
export function buildRules(config: ResolvedTransparentProxyConfig): CaptureRuleSet {
  const families: IpFamily[] = config.ipFamilyMode === 'ipv4' ? ['ipv4'] : ['ipv4', 'ipv6'];
  return {
    backend: config.backend,
    inboundMode: config.inboundMode,
    families: families.map((f) => buildFamily(config, f)),
  };
}
