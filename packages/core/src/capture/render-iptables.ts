import type { CaptureRule, FamilyRules, IpFamily, NetfilterTable, PortRange, RuleMatch, RuleTarget } from './rules.ts';
import { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain } from './rules.ts';

const hex = (n: number) => `0x${n.toString(16)}`;
const not = (negated: boolean | undefined) => (negated ? '! ' : '');
const portText = (r: PortRange, sep: string) => (r.from === r.to ? String(r.from) : `${r.from}${sep}${r.to}`);

/** iptables-save quotes comments and LOG prefixes with double quotes, escaping quotes and `\`. */
function quoted(text: string): string {
  return `"${text.replace(/(["'\\])/g, '\\$1')}"`;
}

// iptables-save prints the IP header fields first, in this order, whatever order they were given in.
const HEADER_ORDER: Array<RuleMatch['type']> = ['source', 'destination', 'in-interface', 'out-interface', 'protocol'];

function matchText(m: RuleMatch): string {
  switch (m.type) {
    case 'source':
      return `${not(m.negated)}-s ${m.cidr}`;
    case 'destination':
      return `${not(m.negated)}-d ${m.cidr}`;
    case 'in-interface':
      return `-i ${m.name}`;
    case 'out-interface':
      return `-o ${m.name}`;
    case 'protocol':
      return `-p ${m.protocol}`;
    case 'destination-port':
      return `-m ${m.protocol} ${not(m.negated)}--dport ${m.port}`;
    case 'source-port':
      return `-m ${m.protocol} --sport ${m.port}`;
    case 'destination-ports':
      return `-m multiport ${not(m.negated)}--dports ${m.ports.map((r) => portText(r, ':')).join(',')}`;
    case 'owner':
      return `-m owner ${not(m.negated)}--uid-owner ${portText(m.uid, '-')}`;
    case 'mark':
      return `-m mark ${not(m.negated)}--mark ${hex(m.mark)}`;
    case 'connmark':
      return `-m connmark --mark ${hex(m.mark)}`;
    case 'conntrack-state':
      return `-m conntrack --ctstate ${m.states.join(',')}`;
  }
}

function targetText(t: RuleTarget, family: IpFamily): string {
  switch (t.type) {
    case 'jump':
      return `-j ${t.chain}`;
    case 'return':
      return '-j RETURN';
    case 'accept':
      return '-j ACCEPT';
    case 'redirect':
      return `-j REDIRECT --to-ports ${t.toPort}`;
    case 'tproxy':
      return `-j TPROXY --on-port ${t.onPort} --on-ip ${family === 'ipv4' ? '0.0.0.0' : '::'} --tproxy-mark ${hex(t.mark)}/0xffffffff`;
    case 'set-mark':
      return `-j MARK --set-xmark ${hex(t.mark)}/0xffffffff`;
    case 'save-connmark':
      return '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff';
    case 'restore-connmark':
      return '-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff';
    case 'ct-zone':
      return `-j CT --zone ${t.zone}`;
    case 'log':
      return `-j LOG --log-prefix ${quoted(t.prefix)} --log-level ${t.level}`;
  }
}

/** The rule after `-A <chain>`, spelled exactly as iptables-save prints it. */
export function iptablesRuleSpec(rule: CaptureRule, family: IpFamily): string {
  const header = HEADER_ORDER.flatMap((type) => rule.matches.filter((m) => m.type === type));
  const rest = rule.matches.filter((m) => !HEADER_ORDER.includes(m.type));
  return [...header, ...rest].map(matchText).concat(`-m comment --comment ${quoted(rule.comment)}`, targetText(rule.target, family)).join(' ');
}

function rulesOf(family: FamilyRules, table: NetfilterTable): CaptureRule[] {
  return family.rules.filter((r) => r.table === table);
}

/** Lines that undo a previous install inside one table's transaction (see cleanup). */
export type RemovalLines = Partial<Record<NetfilterTable, string[]>>;

/**
 * iptables-restore input (for `--noflush`): our chains declared (which empties them if they exist),
 * inserts as `-I <chain> <n>` so they go before rules already present, appends as `-A`. `removal`
 * lines (deleting a previous install) run first in the same table transaction, so reinstalling is
 * one atomic replace.
 */
export function renderIptablesRestore(family: FamilyRules, removal: RemovalLines = {}): string {
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    const rules = rulesOf(family, table);
    const chains = family.chains.filter((c) => c.table === table);
    const undo = removal[table] ?? [];
    if (!rules.length && !chains.length && !undo.length) continue;
    out.push(`*${table}`, ...undo);
    for (const c of chains) out.push(`:${c.name} - [0:0]`);
    const inserted = new Map<string, number>();
    for (const rule of rules) {
      if (rule.placement === 'insert' && isBuiltinChain(table, rule.chain)) {
        const position = (inserted.get(rule.chain) ?? 0) + 1;
        inserted.set(rule.chain, position);
        out.push(`-I ${rule.chain} ${position} ${iptablesRuleSpec(rule, family.family)}`);
      } else {
        out.push(`-A ${rule.chain} ${iptablesRuleSpec(rule, family.family)}`);
      }
    }
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * What `iptables-save` prints for these rules after an install into an empty namespace (without
 * the `#` header lines and with zero counters): for the trace tool and for comparing with the kernel.
 */
export function renderIptablesSave(family: FamilyRules): string {
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    const rules = rulesOf(family, table);
    const chains = family.chains.filter((c) => c.table === table);
    if (!rules.length && !chains.length) continue;
    out.push(`*${table}`, ...BUILTIN_CHAINS[table].map((c) => `:${c} ACCEPT [0:0]`), ...chains.map((c) => `:${c.name} - [0:0]`));
    for (const rule of rules) out.push(`-A ${rule.chain} ${iptablesRuleSpec(rule, family.family)}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The `ip` commands TPROXY mode runs for a family, as text (dry-run and verbose output). */
export function policyRoutingCommands(family: FamilyRules): string[] {
  const r = family.routing;
  const v = family.family === 'ipv4' ? '-4' : '-6';
  const cmds = family.loopbackAddresses.map((a) => `ip ${v} addr add ${a} dev lo noprefixroute nodad  (when missing)`);
  if (!r) return cmds;
  return [
    ...cmds,
    `ip ${v} rule add fwmark ${hex(r.mark)} lookup ${r.table} protocol ${r.protocol}`,
    `ip ${v} route add local ${r.destination} dev lo table ${r.table} proto ${r.protocol}`,
  ];
}
