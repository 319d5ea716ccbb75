import { NFT_TABLE_NAME } from './constants.ts';
import type { CaptureRule, FamilyRules, NetfilterTable, PortRange, RuleMatch, RuleTarget } from './rules.ts';
import { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain } from './rules.ts';

/** nft table family for an IP family: `ip` or `ip6`. */
export function nftFamily(family: FamilyRules['family']): 'ip' | 'ip6' {
  return family === 'ipv4' ? 'ip' : 'ip6';
}

/**
 * Base chain standing in for an iptables built-in chain, at the same hook and priority (`NAT_OUTPUT`
 * for nat OUTPUT). mangle OUTPUT is a `route` chain so a changed mark reroutes the packet, as
 * iptables mangle OUTPUT does.
 */
export function nftBaseChain(table: NetfilterTable, chain: string): { name: string; declaration: string } {
  const hook = chain.toLowerCase();
  const name = `${table.toUpperCase()}_${chain}`;
  const priority = { raw: 'raw', mangle: 'mangle', nat: hook === 'prerouting' ? 'dstnat' : '-100' }[table];
  const type = table === 'nat' ? 'nat' : table === 'mangle' && hook === 'output' ? 'route' : 'filter';
  return { name, declaration: `type ${type} hook ${hook} priority ${priority}; policy accept;` };
}

const hex = (n: number) => `0x${n.toString(16)}`;
const op = (negated: boolean | undefined) => (negated ? '!= ' : '');
const range = (r: PortRange) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);
const quoted = (text: string) => `"${text.replace(/["\\]/g, '')}"`;
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

function matchText(m: RuleMatch, ip: 'ip' | 'ip6', hasPortMatch: boolean): string | undefined {
  switch (m.type) {
    case 'source':
      return `${ip} saddr ${op(m.negated)}${m.cidr}`;
    case 'destination':
      return `${ip} daddr ${op(m.negated)}${m.cidr}`;
    case 'in-interface':
      // iptables' `docker+` (a name prefix) is nft's `docker*`.
      return `iifname "${m.name.endsWith('+') ? `${m.name.slice(0, -1)}*` : m.name}"`;
    case 'out-interface':
      return `oifname "${m.name}"`;
    case 'protocol':
      // `tcp dport …` already implies the protocol.
      return hasPortMatch ? undefined : `meta l4proto ${m.protocol}`;
    case 'destination-port':
      return `${m.protocol} dport ${op(m.negated)}${m.port}`;
    case 'source-port':
      return `${m.protocol} sport ${m.port}`;
    case 'destination-ports':
      return `${m.protocol} dport ${op(m.negated)}${m.ports.length === 1 ? range(m.ports[0]!) : `{ ${m.ports.map(range).join(', ')} }`}`;
    case 'owner':
      return `meta skuid ${op(m.negated)}${range(m.uid)}`;
    case 'mark':
      return `meta mark ${op(m.negated)}${hex(m.mark)}`;
    case 'connmark':
      return `ct mark ${hex(m.mark)}`;
    case 'conntrack-state':
      return `ct state ${m.states.map((s) => s.toLowerCase()).join(',')}`;
  }
}

function targetText(t: RuleTarget): string {
  switch (t.type) {
    case 'jump':
      return `jump ${t.chain}`;
    case 'return':
      return 'return';
    case 'accept':
      return 'accept';
    case 'redirect':
      return `redirect to :${t.toPort}`;
    case 'tproxy':
      return `tproxy to :${t.onPort} meta mark set ${hex(t.mark)} accept`;
    case 'set-mark':
      return `meta mark set ${hex(t.mark)}`;
    case 'save-connmark':
      return 'ct mark set meta mark';
    case 'restore-connmark':
      return 'meta mark set ct mark';
    case 'ct-zone':
      return `ct zone set ${t.zone}`;
    case 'log':
      return `log prefix ${quoted(t.prefix)} level ${LOG_LEVELS[t.level] ?? 'debug'}`;
  }
}

/** One nft rule line (with a counter, so read-back shows packets and bytes like iptables-save -c). */
export function nftRuleText(rule: CaptureRule, ip: 'ip' | 'ip6'): string[] {
  const hasPortMatch = rule.matches.some((m) => m.type === 'destination-port' || m.type === 'source-port' || m.type === 'destination-ports');
  const matches = rule.matches.map((m) => matchText(m, ip, hasPortMatch)).filter((s): s is string => s !== undefined);
  const line = [...matches, 'counter', targetText(rule.target), `comment ${quoted(rule.comment)}`].join(' ');
  if (rule.target.type !== 'tproxy') return [line];
  // iptables' TPROXY drops the packet when no transparent listener takes it; nft's tproxy just ends
  // the rule, so the next rule drops, keeping the two backends equal.
  const guard = [...matches, 'counter', 'drop', `comment ${quoted(`${rule.comment}: no transparent listener, drop as TPROXY does`)}`].join(' ');
  return [line, guard];
}

/** The `table <ip|ip6> meshcap { … }` block for one family. */
export function renderNftTable(family: FamilyRules): string {
  const ip = nftFamily(family.family);
  const lines = [`table ${ip} ${NFT_TABLE_NAME} {`];
  const chainBlock = (name: string, declaration: string | undefined, rules: CaptureRule[]) => {
    lines.push(`\tchain ${name} {`);
    if (declaration) lines.push(`\t\t${declaration}`);
    for (const r of rules) for (const text of nftRuleText(r, ip)) lines.push(`\t\t${text}`);
    lines.push('\t}');
  };
  for (const table of TABLE_ORDER) {
    for (const chain of BUILTIN_CHAINS[table]) {
      const rules = family.rules.filter((r) => r.table === table && r.chain === chain);
      if (!rules.length) continue;
      const base = nftBaseChain(table, chain);
      chainBlock(base.name, base.declaration, rules);
    }
  }
  for (const c of family.chains) {
    chainBlock(c.name, undefined, family.rules.filter((r) => r.table === c.table && r.chain === c.name && !isBuiltinChain(c.table, r.chain)));
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * One `nft -f` script for every family: each table is created empty, deleted and recreated with
 * our rules in the same transaction, so installing is atomic and installing twice gives one copy.
 */
export function renderNftScript(families: FamilyRules[]): string {
  return families
    .map((f) => {
      const ip = nftFamily(f.family);
      return `table ${ip} ${NFT_TABLE_NAME}\ndelete table ${ip} ${NFT_TABLE_NAME}\n${renderNftTable(f)}`;
    })
    .join('');
}
