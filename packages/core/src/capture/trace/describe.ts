import type { Action, IdCondition, Match, PortRange } from '../ruleset/types.ts';

/** Short iptables-flavoured text for one match or action, for trace steps and the text output. */

const neg = (negated: boolean): string => (negated ? '! ' : '');

function ranges(list: readonly PortRange[]): string {
  return list.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}:${r.to}`)).join(',');
}

function ids(c: IdCondition): string {
  return `${neg(c.negated)}${c.ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',')}`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function describeMatch(m: Match): string {
  switch (m.kind) {
    case 'protocol':
      return `${neg(m.negated)}-p ${m.protocol}`;
    case 'family':
      return `${neg(m.negated)}family ${m.family}`;
    case 'address':
      return `${neg(m.negated)}${m.field === 'source' ? '-s' : '-d'} ${m.cidrs.map((c) => c.text).join(',')}`;
    case 'interface':
      return `${neg(m.negated)}${m.field === 'in' ? '-i' : '-o'} ${m.name}${m.wildcard ? '+' : ''}`;
    case 'port': {
      const opt = m.field === 'source' ? '--sport' : m.field === 'destination' ? '--dport' : '--ports';
      return `${m.protocol ? `${m.protocol} ` : ''}${neg(m.negated)}${opt} ${ranges(m.ranges)}`;
    }
    case 'owner':
      return [
        'owner',
        m.uid ? `uid ${ids(m.uid)}` : '',
        m.gid ? `gid ${ids(m.gid)}${m.supplementaryGroups ? ' (or supplementary)' : ''}` : '',
        m.socketExists ? `${neg(m.socketExists.negated)}socket-exists` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'mark':
    case 'connmark':
      return `${m.kind} ${neg(m.negated)}${hex(m.value)}/${hex(m.mask)}`;
    case 'comment':
      return `comment "${m.comment}"`;
    case 'conntrack':
      return m.state ? `ctstate ${neg(m.state.negated)}${m.state.states.join(',')}` : 'conntrack';
    case 'addrtype':
      return [
        'addrtype',
        m.source ? `src ${neg(m.source.negated)}${m.source.types.join(',')}` : '',
        m.destination ? `dst ${neg(m.destination.negated)}${m.destination.types.join(',')}` : '',
        m.limitIface ? `limit-iface-${m.limitIface}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'socket':
      return `socket${m.options.map((o) => ` --${o}`).join('')}`;
    case 'tcp-flags':
      return `${neg(m.negated)}tcp-flags ${m.mask.join(',')} ${m.set.join(',') || 'NONE'}`;
    case 'fragment':
      return `${neg(m.negated)}-f`;
    case 'unknown':
      return m.text;
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'jump':
      return `jump ${a.chain}`;
    case 'goto':
      return `goto ${a.chain}`;
    case 'accept':
      return 'ACCEPT';
    case 'drop':
      return 'DROP';
    case 'return':
      return 'RETURN';
    case 'reject':
      return `REJECT${a.with ? ` with ${a.with}` : ''}`;
    case 'redirect':
      return `REDIRECT${a.ports ? ` to port ${a.ports.from === a.ports.to ? a.ports.from : `${a.ports.from}-${a.ports.to}`}` : ''}`;
    case 'tproxy':
      return `TPROXY to port ${a.port}${a.address ? ` on ${a.address}` : ''}${a.mark ? ` mark ${hex(a.mark.value)}/${hex(a.mark.mask)}` : ''}`;
    case 'mark':
      return `MARK set ${hex(a.change.value)}/${hex(a.change.mask)}`;
    case 'connmark':
      return a.op === 'set' && a.change ? `CONNMARK set ${hex(a.change.value)}/${hex(a.change.mask)}` : `CONNMARK ${a.op}-mark`;
    case 'ct':
      return `CT${a.notrack ? ' notrack' : ''}${a.zone !== undefined ? ` zone ${a.zone}` : ''}${a.helper ? ` helper ${a.helper}` : ''}${a.options.map((o) => ` ${o}`).join('')}`;
    case 'log':
      return `LOG${a.prefix !== undefined ? ` "${a.prefix}"` : ''}`;
    case 'dnat':
      return `DNAT to ${a.to}`;
    case 'snat':
      return `SNAT to ${a.to}`;
    case 'masquerade':
      return 'MASQUERADE';
    case 'queue':
      return `QUEUE (${a.text})`;
    case 'other':
      return a.text;
  }
}
