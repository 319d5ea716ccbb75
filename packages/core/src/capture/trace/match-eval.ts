import { cidrContainsIp, isBroadcastIp, isMulticastIp, parseIpValue } from '../ruleset/address.ts';
import type { Cidr } from '../ip-address.ts';
import type { ConntrackState, Hook, IdCondition, Match, Rule } from '../ruleset/types.ts';
import { describeMatch } from './describe.ts';
import { isLocalAddress, type LocalNetwork } from './local-network.ts';
import type { MatchEvaluation } from './types.ts';

/** The packet and its connection as they stand at one point of the walk. */
export interface FlowState {
  family: Cidr['family'];
  proto: 'tcp' | 'udp';
  /** Undefined once NAT rewrote it to something the tracer cannot know (e.g. an address of an unknown interface). */
  src: string | undefined;
  dst: string | undefined;
  srcPort: number | undefined;
  dstPort: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  mark: number;
  connmark: number;
  inIface: string | undefined;
  outIface: string | undefined;
  /** Conntrack: none before the conntrack hook (-200) ran, then new; untracked after NOTRACK. */
  ct: 'none' | 'new' | 'untracked';
  /** raw-table CT target attached a template (zone/helper) before conntrack. */
  ctTemplate: boolean;
  /** The connection's destination / source was rewritten by NAT (ctstate DNAT / SNAT). */
  dnatDone: boolean;
  snatDone: boolean;
  /** The packet belongs to a local socket (locally generated, on the way out). */
  hasSocket: boolean;
}

export interface EvalContext {
  hook: Hook;
  rule: Rule;
  local: LocalNetwork | undefined;
  localNets: Cidr[];
  /** The rule set attaches conntrack helpers, so a first packet could be RELATED. */
  helpers: boolean;
}

type Tri = 'match' | 'no-match' | 'unknown';

const yes = (reason: string): { result: Tri; reason: string } => ({ result: 'match', reason });
const no = (reason: string): { result: Tri; reason: string } => ({ result: 'no-match', reason });
const unknown = (reason: string): { result: Tri; reason: string } => ({ result: 'unknown', reason });

/** `cond` holds → match, else no-match; then flipped by `negated`. */
function decide(cond: boolean, negated: boolean, reason: string): { result: Tri; reason: string } {
  return cond !== negated ? yes(reason) : no(reason);
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: '6', udp: '17' };

function protocolIs(protocol: string, packet: 'tcp' | 'udp'): boolean | 'any' {
  const p = protocol.toLowerCase();
  if (p === 'all' || p === '0') return 'any';
  return p === packet || p === PROTOCOL_NUMBERS[packet];
}

function inRanges(n: number, c: IdCondition): boolean {
  return c.ranges.some((r) => n >= r.from && n <= r.to);
}

/** Address types an address can have, or undefined when it depends on routes the tracer does not read. */
function addressTypes(ip: string | undefined, ctx: EvalContext): Set<string> | undefined {
  const v = ip === undefined ? undefined : parseIpValue(ip);
  if (!v) return undefined;
  if (isMulticastIp(v)) return new Set(['MULTICAST']);
  const local = isLocalAddress(v, ctx.local);
  if (local === true) return new Set(['LOCAL']);
  if (local === undefined) return undefined;
  if (isBroadcastIp(v, ctx.localNets)) return new Set(['BROADCAST']);
  // Not local: unicast if a route exists, else unreachable/blackhole/prohibit… (routes not read).
  return new Set(['UNICAST', 'UNREACHABLE', 'BLACKHOLE', 'PROHIBIT', 'THROW', 'UNSPEC', 'ANYCAST', 'NAT', 'XRESOLVE']);
}

function interfaceAt(hook: Hook, field: 'in' | 'out', s: FlowState): string | undefined | null {
  // null: the hook has no such interface (the kernel compares against an empty name).
  const hasIn = hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD';
  const hasOut = hook === 'OUTPUT' || hook === 'POSTROUTING' || hook === 'FORWARD';
  if (field === 'in') return hasIn ? s.inIface : null;
  return hasOut ? s.outIface : null;
}

function evaluateOwner(m: Extract<Match, { kind: 'owner' }>, s: FlowState, ctx: EvalContext): { result: Tri; reason: string } {
  const parts = [m.uid, m.gid, m.socketExists].filter((p) => p !== undefined);
  if (!s.hasSocket) {
    // xt_owner without a socket matches only when every condition is negated; nft's skuid/skgid never match.
    if (ctx.rule.backend === 'nftables') return no('no local socket owns this packet');
    return parts.every((p) => p.negated) ? yes('no local socket; every owner condition is negated') : no('no local socket owns this packet');
  }
  const results: Array<{ result: Tri; reason: string }> = [];
  if (m.socketExists) results.push(decide(true, m.socketExists.negated, 'the packet has a socket'));
  if (m.uid) {
    if (s.uid === undefined) results.push(unknown('uid of the sending process not given (--uid)'));
    else results.push(decide(inRanges(s.uid, m.uid), m.uid.negated, `uid ${s.uid}`));
  }
  if (m.gid) {
    if (s.gid === undefined) results.push(unknown('gid of the sending process not given (--gid)'));
    else if (inRanges(s.gid, m.gid)) results.push(decide(true, m.gid.negated, `gid ${s.gid}`));
    else if (m.supplementaryGroups) results.push(unknown(`gid ${s.gid} does not match; supplementary groups are not known`));
    else results.push(decide(false, m.gid.negated, `gid ${s.gid}`));
  }
  return combine(results);
}

function combine(results: Array<{ result: Tri; reason: string }>): { result: Tri; reason: string } {
  const failed = results.find((r) => r.result === 'no-match');
  if (failed) return failed;
  const open = results.find((r) => r.result === 'unknown');
  if (open) return open;
  return yes(results.map((r) => r.reason).join(', '));
}

function conntrackStates(s: FlowState, ctx: EvalContext): { states: Set<ConntrackState>; maybeRelated: boolean } | { unknownReason: string } {
  if (s.ct === 'none') {
    if (s.ctTemplate) return { unknownReason: 'a CT template is attached before conntrack ran; its state bits are not modelled' };
    // Before conntrack (raw table) there is no entry: xt_conntrack reports INVALID.
    return { states: new Set(['INVALID']), maybeRelated: false };
  }
  if (s.ct === 'untracked') return { states: new Set(['UNTRACKED']), maybeRelated: false };
  const states = new Set<ConntrackState>(['NEW']);
  if (s.dnatDone) states.add('DNAT');
  if (s.snatDone) states.add('SNAT');
  return { states, maybeRelated: ctx.helpers };
}

/** Evaluates one match against the packet at the rule's hook. */
export function evaluateMatch(m: Match, s: FlowState, ctx: EvalContext): MatchEvaluation {
  const r = evaluate(m, s, ctx);
  return { match: describeMatch(m), result: r.result, reason: r.reason };
}

function evaluate(m: Match, s: FlowState, ctx: EvalContext): { result: Tri; reason: string } {
  switch (m.kind) {
    case 'protocol': {
      const is = protocolIs(m.protocol, s.proto);
      return decide(is !== false, m.negated, `protocol ${s.proto}`);
    }
    case 'family':
      return decide(m.family === s.family, m.negated, `family ${s.family}`);
    case 'address': {
      const text = m.field === 'source' ? s.src : s.dst;
      if (text === undefined) return unknown(`${m.field} address after NAT is not known`);
      const ip = parseIpValue(text);
      if (!ip || m.cidrs.every((c) => c.family !== ip.family)) return no(`${m.field} ${text} is not ${m.cidrs[0]?.family ?? ''}`);
      return decide(m.cidrs.some((c) => cidrContainsIp(c, ip)), m.negated, `${m.field} ${text}`);
    }
    case 'interface': {
      const name = interfaceAt(ctx.hook, m.field, s);
      if (name === undefined) return unknown(`${m.field === 'in' ? 'input' : 'output'} interface not known (--${m.field}-iface)`);
      const actual = name ?? '';
      const hit = m.wildcard ? actual.startsWith(m.name) : actual === m.name;
      return decide(hit, m.negated, name === null ? `no ${m.field === 'in' ? 'input' : 'output'} interface at ${ctx.hook}` : `${m.field === 'in' ? 'in' : 'out'} ${actual}`);
    }
    case 'port': {
      if (m.protocol && protocolIs(m.protocol, s.proto) === false) return no(`protocol ${s.proto}, not ${m.protocol}`);
      const check = (port: number | undefined, label: string): { result: Tri; reason: string } | boolean => {
        if (port === undefined) return unknown(`${label} port not known${label === 'source' ? ' (--src-port)' : ''}`);
        return m.ranges.some((r) => port >= r.from && port <= r.to);
      };
      const fields = m.field === 'either' ? (['source', 'destination'] as const) : [m.field];
      let hit = false;
      for (const f of fields) {
        const c = check(f === 'source' ? s.srcPort : s.dstPort, f);
        if (typeof c === 'object') {
          if (!hit) return c;
        } else hit ||= c;
      }
      const label = m.field === 'either' ? `ports ${s.srcPort}/${s.dstPort}` : `${m.field} port ${m.field === 'source' ? s.srcPort : s.dstPort}`;
      return decide(hit, m.negated, label);
    }
    case 'owner':
      return evaluateOwner(m, s, ctx);
    case 'mark':
      return decide(((s.mark & m.mask) >>> 0) === m.value, m.negated, `mark 0x${s.mark.toString(16)}`);
    case 'connmark':
      if (s.ct !== 'new') return no('no conntrack entry to carry a connmark');
      return decide(((s.connmark & m.mask) >>> 0) === m.value, m.negated, `connmark 0x${s.connmark.toString(16)}`);
    case 'comment':
      return yes('comment');
    case 'conntrack': {
      if (!m.state) return unknown('conntrack option not modelled');
      const st = conntrackStates(s, ctx);
      if ('unknownReason' in st) return unknown(st.unknownReason);
      const hit = m.state.states.some((x) => st.states.has(x));
      if (st.maybeRelated) {
        // With helpers attached, an expectation could make the packet RELATED instead of NEW.
        const related = new Set<ConntrackState>([...[...st.states].filter((x) => x !== 'NEW'), 'RELATED']);
        if (m.state.states.some((x) => related.has(x)) !== hit) {
          return unknown('the rule set attaches conntrack helpers; whether an expectation makes this packet RELATED is not known');
        }
      }
      return decide(hit, m.state.negated, `first packet: state ${[...st.states].join(',')}`);
    }
    case 'addrtype': {
      if (m.limitIface) return unknown('addrtype --limit-iface-* needs the per-interface routes');
      const sides: Array<{ result: Tri; reason: string }> = [];
      for (const [side, cond] of [['source', m.source], ['destination', m.destination]] as const) {
        if (!cond) continue;
        const ip = side === 'source' ? s.src : s.dst;
        const types = addressTypes(ip, ctx);
        if (!types) {
          sides.push(unknown(`address type of ${side} ${ip ?? '(unknown)'} needs the local address list`));
          continue;
        }
        const all = [...types].every((t) => cond.types.includes(t));
        const none = [...types].every((t) => !cond.types.includes(t));
        const label = `${side} ${ip} is ${[...types].length === 1 ? [...types][0] : 'not LOCAL'}`;
        if (all) sides.push(decide(true, cond.negated, label));
        else if (none) sides.push(decide(false, cond.negated, label));
        else sides.push(unknown(`${side} ${ip}: whether it is ${cond.types.join('/')} depends on routes`));
      }
      return combine(sides);
    }
    case 'socket':
      return unknown('-m socket looks up the kernel socket table, which a trace cannot see');
    case 'tcp-flags': {
      if (s.proto !== 'tcp') return no('not TCP');
      // The first packet of a TCP connection is a bare SYN.
      const expand = (list: readonly string[]): string[] => list.flatMap((f) => (f === 'ALL' ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] : f === 'NONE' ? [] : [f]));
      const mask = expand(m.mask);
      const set = expand(m.set);
      const hit = set.every((f) => mask.includes(f)) && mask.every((f) => (f === 'SYN') === set.includes(f));
      return decide(hit, m.negated, 'first packet: flags SYN');
    }
    case 'fragment':
      return decide(false, m.negated, 'first packet: not a fragment');
    case 'unknown':
      return unknown(`meshcap does not evaluate "${m.text}"`);
  }
}

/** All matches of a rule: no-match if any fails, else unknown if any is unknown, else matched. */
export function evaluateRule(rule: Rule, s: FlowState, ctx: EvalContext): { result: 'matched' | 'not-matched' | 'unknown'; matches: MatchEvaluation[] } {
  const matches = rule.matches.map((m) => evaluateMatch(m, s, ctx));
  const result = matches.some((e) => e.result === 'no-match') ? 'not-matched' : matches.some((e) => e.result === 'unknown') ? 'unknown' : 'matched';
  return { result, matches };
}
