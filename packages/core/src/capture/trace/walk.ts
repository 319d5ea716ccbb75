import type { Cidr } from '../ip-address.ts';
import { parseIpValue } from '../ruleset/address.ts';
import type { Action, Chain, Hook, Rule, Ruleset, Table } from '../ruleset/types.ts';
import { describeAction } from './describe.ts';
import { connectedInterface, firstAddressOf, isLocalAddress, type LocalNetwork } from './local-network.ts';
import { evaluateRule, type EvalContext, type FlowState } from './match-eval.ts';
import type { RuleRef, TraceDecider, TraceOutcome, TracePacket, TraceStep, TraceVerdict } from './types.ts';

/**
 * One deterministic walk of a packet through the hooks, tables and chains. Where a rule's match
 * cannot be evaluated, the walk takes the answer from `decisions` (in the order such rules are met;
 * not matched when the list runs out) and records what it assumed, so the caller can replay every
 * combination.
 *
 * Netfilter order modelled (IPv4 and IPv6 alike; priorities from netfilter_ipv4.h):
 *   hook        priority: -300 raw, -200 conntrack, -150 mangle, -100 nat (dst), 0 filter, 50 security, 100 nat (src)
 *   outbound:   OUTPUT (raw, conntrack, mangle, nat, filter, security) → reroute → POSTROUTING (mangle, nat)
 *               → if the destination is local: the packet loops through `lo` and comes back in:
 *                 PREROUTING (raw, mangle; nat is skipped: the connection's NAT was set up on the way out)
 *                 → INPUT (mangle, filter, security; nat skipped) → local socket
 *   inbound:    PREROUTING (raw, conntrack, mangle, nat) → routing → INPUT (mangle, filter, security, nat)
 *               → local socket; or, for a destination that is not local, FORWARD → POSTROUTING.
 * nftables base chains join their hook at their own priority. nat chains (iptables nat table, nft
 * `type nat`) see only the first packet of a connection, and of the nat chains at one hook only the
 * ones before the first that rewrites the address (then the binding is set up for the connection).
 */

export interface WalkContext {
  family: Cidr['family'];
  local: LocalNetwork | undefined;
  localNets: Cidr[];
  helpers: boolean;
  baseChains: Map<Hook, Array<{ table: Table; chain: Chain }>>;
  chains: Map<Table, Map<string, Chain>>;
}

export interface WalkResult extends TraceOutcome {
  /** The answer used for each unknown rule met, in order. */
  taken: boolean[];
  unknowns: Array<{ rule: RuleRef; reasons: string[] }>;
  notes: string[];
}

/** Targets that do something meshcap does not model but never end the walk. */
const NON_TERMINATING_TARGETS = new Set([
  'NFLOG', 'ULOG', 'TRACE', 'TCPMSS', 'TOS', 'DSCP', 'TTL', 'HL', 'CLASSIFY', 'CHECKSUM', 'AUDIT', 'SECMARK',
  'CONNSECMARK', 'IDLETIMER', 'LED', 'SET', 'TEE', 'RATEEST', 'ECN',
]);

const MAX_CHAIN_DEPTH = 64;

type ChainVerdict =
  | { kind: 'accept'; decider: TraceDecider }
  | { kind: 'drop'; decider: TraceDecider }
  | { kind: 'reject'; with?: string; decider: TraceDecider }
  | { kind: 'queue'; decider: TraceDecider }
  | { kind: 'unknown'; reason: string; decider: TraceDecider };

type Control =
  | { kind: 'next' }
  | { kind: 'jump'; chain: string; goto: boolean }
  | { kind: 'return' }
  | { kind: 'verdict'; verdict: ChainVerdict };

export function ruleRef(rule: Rule): RuleRef {
  return {
    backend: rule.backend,
    family: rule.family,
    table: rule.table,
    chain: rule.chain,
    index: rule.index,
    ...(rule.handle !== undefined ? { handle: rule.handle } : {}),
    text: rule.text,
    ...(rule.comment !== undefined ? { comment: rule.comment } : {}),
    ours: rule.ours,
  };
}

/** `198.18.0.9`, `198.18.0.9:8080`, `[2001:2::9]:8080`, `:8080`; undefined parts when a range leaves them open. */
function parseNatTarget(to: string): { address?: string; port?: number; exact: boolean } {
  let host = to;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.+))?$/.exec(to);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2];
  } else if ((to.match(/:/g) ?? []).length === 1) {
    [host = '', portText] = to.split(':');
  }
  const addressExact = host === '' || parseIpValue(host) !== undefined;
  const port = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : undefined;
  const portExact = portText === undefined || port !== undefined;
  return { ...(host && addressExact ? { address: host } : {}), ...(port !== undefined ? { port } : {}), exact: addressExact && portExact };
}

export function walkPath(ctx: WalkContext, packet: TracePacket, decisions: readonly boolean[]): WalkResult {
  return new Walk(ctx, packet, decisions).run();
}

class Walk {
  private readonly steps: TraceStep[] = [];
  private readonly matched: RuleRef[] = [];
  private readonly taken: boolean[] = [];
  private readonly assumptions: Array<{ rule: RuleRef; matched: boolean }> = [];
  private readonly unknowns: Array<{ rule: RuleRef; reasons: string[] }> = [];
  private readonly notes: string[] = [];
  private readonly s: FlowState;
  private readonly natDone = { dst: false, src: false };
  private looped = false;
  private nats = 0;
  private captured: { verdict: TraceVerdict; rule: RuleRef } | undefined;
  private dnat: { verdict: TraceVerdict; rule: RuleRef } | undefined;
  /** The decider of the last nat chain at the hook where capture would happen (OUTPUT / PREROUTING). */
  private natDecider: TraceDecider | undefined;
  private lastDecider: TraceDecider | undefined;

  constructor(
    private readonly ctx: WalkContext,
    private readonly packet: TracePacket,
    private readonly decisions: readonly boolean[],
  ) {
    this.s = {
      family: ctx.family,
      proto: packet.proto,
      src: packet.src,
      dst: packet.dst,
      srcPort: packet.srcPort,
      dstPort: packet.dstPort,
      uid: packet.uid,
      gid: packet.gid,
      mark: packet.mark ?? 0,
      connmark: 0,
      inIface: packet.inIface,
      outIface: packet.outIface,
      ct: 'none',
      ctTemplate: false,
      dnatDone: false,
      snatDone: false,
      hasSocket: false,
    };
  }

  run(): WalkResult {
    const terminal = this.packet.direction === 'outbound' ? this.outbound() : this.inbound();
    const verdict = terminal ?? this.finalVerdict();
    return {
      assumptions: this.assumptions,
      verdict: verdict.verdict,
      ...(verdict.decidedBy ? { decidedBy: verdict.decidedBy } : {}),
      steps: this.steps,
      matchedRules: this.matched,
      final: {
        ...(this.s.src !== undefined ? { src: this.s.src } : {}),
        ...(this.s.dst !== undefined ? { dst: this.s.dst } : {}),
        ...(this.s.dstPort !== undefined ? { dstPort: this.s.dstPort } : {}),
        mark: this.s.mark,
      },
      taken: this.taken,
      unknowns: this.unknowns,
      notes: this.notes,
    };
  }

  private isLocal(addr: string | undefined): boolean | undefined {
    const v = addr === undefined ? undefined : parseIpValue(addr);
    return v ? isLocalAddress(v, this.ctx.local) : undefined;
  }

  private event(hook: Hook, note: string): void {
    this.steps.push({ hook, backend: 'iptables', family: this.ctx.family === 'ipv4' ? 'ip' : 'ip6', table: '-', chain: '-', kind: 'event', note });
  }

  private outbound(): { verdict: TraceVerdict; decidedBy?: TraceDecider } | undefined {
    const s = this.s;
    s.hasSocket = true;
    if (s.outIface === undefined) {
      const dst = s.dst === undefined ? undefined : parseIpValue(s.dst);
      const connected = dst && connectedInterface(this.ctx.local, dst);
      if (this.isLocal(s.dst) === true) {
        s.outIface = 'lo';
        this.event('OUTPUT', `routing: ${s.dst} is a local address, out lo`);
      } else if (connected) {
        s.outIface = connected.name;
        this.event('OUTPUT', `routing: ${s.dst} is in ${connected.network.text} of ${connected.name}, out ${connected.name}`);
        this.notes.push(`out interface ${connected.name} from its connected network ${connected.network.text} (policy routing not read)`);
      }
    }
    const before = s.dst;
    const t1 = this.hook('OUTPUT');
    if (t1) return t1;
    if (s.dst !== before) {
      // The kernel routes again after nat OUTPUT rewrote the destination.
      const local = this.isLocal(s.dst);
      s.outIface = local === true ? 'lo' : undefined;
      this.event('OUTPUT', `reroute: destination now ${s.dst ?? '(unknown)'}${local === true ? ', a local address: out lo' : ''}`);
    }
    const t2 = this.hook('POSTROUTING');
    if (t2) return t2;
    let local = this.isLocal(s.dst);
    if (local === undefined) {
      if (s.outIface !== undefined) local = s.outIface === 'lo';
      else {
        local = false;
        this.notes.push(`${s.dst} is not known to be a local address (no local address list): assumed to leave the host`);
      }
    }
    if (!local) return undefined;
    // Locally delivered: the packet loops through lo and is received like an inbound one.
    this.looped = true;
    s.hasSocket = false;
    s.inIface = 'lo';
    s.outIface = undefined;
    this.event('PREROUTING', 'loopback: the packet comes back in on lo');
    return this.hook('PREROUTING') ?? this.hook('INPUT');
  }

  private inbound(): { verdict: TraceVerdict; decidedBy?: TraceDecider } | undefined {
    const t1 = this.hook('PREROUTING');
    if (t1) return t1;
    let local = this.captured ? true : this.isLocal(this.s.dst);
    if (local === undefined) {
      local = true;
      this.notes.push(`${this.s.dst ?? 'the destination'} is assumed to be a local address (no local address list)`);
    }
    if (local) {
      this.event('INPUT', `routing: local delivery${this.captured?.verdict.kind === 'captured' && this.captured.verdict.mechanism === 'TPROXY' ? ' (TPROXY: socket assigned; needs the fwmark ip rule and local route)' : ''}`);
      return this.hook('INPUT');
    }
    this.event('FORWARD', `routing: ${this.s.dst} is not local, forwarded`);
    this.s.outIface = undefined;
    return this.hook('FORWARD') ?? this.hook('POSTROUTING');
  }

  private finalVerdict(): { verdict: TraceVerdict; decidedBy?: TraceDecider } {
    if (this.captured) return { verdict: this.captured.verdict, decidedBy: { kind: 'rule', rule: this.captured.rule } };
    if (this.dnat) return { verdict: this.dnat.verdict, decidedBy: { kind: 'rule', rule: this.dnat.rule } };
    const s = this.s;
    const delivery = this.packet.direction === 'outbound' ? (this.looped ? 'local' : 'sent') : this.steps.some((st) => st.hook === 'FORWARD') ? 'forwarded' : 'local';
    const verdict: TraceVerdict = {
      kind: 'accepted',
      delivery,
      address: s.dst ?? this.packet.dst,
      port: s.dstPort ?? this.packet.dstPort,
      ...(delivery === 'sent' && s.outIface ? { iface: s.outIface } : {}),
    };
    const decidedBy = this.natDecider ?? this.lastDecider;
    return decidedBy ? { verdict, decidedBy } : { verdict };
  }

  private conntrack(hook: Hook): void {
    if (this.s.ct === 'none') {
      this.s.ct = 'new';
      this.event(hook, 'conntrack: new connection (first packet)');
    } else if (this.s.ct === 'untracked') {
      this.event(hook, 'conntrack: untracked (NOTRACK), nat chains will not see it');
    }
  }

  /** Runs every base chain at `hook` in priority order; returns a verdict only when the packet stops here. */
  private hook(hook: Hook): { verdict: TraceVerdict; decidedBy?: TraceDecider } | undefined {
    const chains = this.ctx.baseChains.get(hook) ?? [];
    const conntrackHook = (hook === 'PREROUTING' || hook === 'OUTPUT') && !this.looped;
    const manip = hook === 'PREROUTING' || hook === 'OUTPUT' ? 'dst' : 'src';
    let conntrackDone = !conntrackHook;
    let natRan = false;
    for (const { table, chain } of chains) {
      const base = chain.base!;
      if (!conntrackDone && base.priority > -200) {
        this.conntrack(hook);
        conntrackDone = true;
      }
      if (base.type === 'nat') {
        const skip =
          this.s.ct === 'untracked'
            ? 'untracked connection: nat chains never see it'
            : this.s.ct !== 'new'
              ? 'no conntrack entry yet'
              : this.natDone[manip]
                ? this.looped
                  ? 'NAT for this connection was set up when the packet left (loopback)'
                  : 'NAT for this connection is already set up by an earlier nat chain'
                : undefined;
        if (skip) {
          this.steps.push({ hook, backend: table.backend, family: table.family, table: table.name, chain: chain.name, kind: 'skip', note: skip });
          continue;
        }
        natRan = true;
      }
      const natsBefore = this.nats;
      const v = this.runBase(hook, table, chain);
      if (base.type === 'nat') {
        if (this.nats !== natsBefore) this.natDone[manip] = true;
        if (manip === 'dst' && !this.looped) this.natDecider = v.decider;
      }
      if (v.kind !== 'accept') return this.stop(v);
      this.lastDecider = v.decider;
    }
    if (!conntrackDone) this.conntrack(hook);
    if (natRan) this.natDone[manip] = true;
    return undefined;
  }

  private stop(v: Exclude<ChainVerdict, { kind: 'accept' }>): { verdict: TraceVerdict; decidedBy: TraceDecider } {
    switch (v.kind) {
      case 'drop':
        return { verdict: { kind: 'dropped' }, decidedBy: v.decider };
      case 'reject':
        return { verdict: v.with !== undefined ? { kind: 'rejected', with: v.with } : { kind: 'rejected' }, decidedBy: v.decider };
      case 'queue':
        return { verdict: { kind: 'queued' }, decidedBy: v.decider };
      case 'unknown':
        return { verdict: { kind: 'unknown', reason: v.reason }, decidedBy: v.decider };
    }
  }

  private evalContext(hook: Hook, rule: Rule): EvalContext {
    return { hook, rule, local: this.ctx.local, localNets: this.ctx.localNets, helpers: this.ctx.helpers };
  }

  private runBase(hook: Hook, table: Table, base: Chain): ChainVerdict {
    const where = { hook, backend: table.backend, family: table.family, table: table.name };
    const stack: Array<{ chain: Chain; next: number }> = [];
    let chain = base;
    let i = 0;
    let lastReturn: RuleRef | undefined;
    const policy = (): ChainVerdict => {
      const p = base.policy ?? 'ACCEPT';
      const decider: TraceDecider = { kind: 'policy', backend: table.backend, family: table.family, table: table.name, chain: base.name, policy: p };
      this.steps.push({ ...where, chain: base.name, kind: 'policy', action: `policy ${p}` });
      if (p === 'DROP') return { kind: 'drop', decider };
      return { kind: 'accept', decider: lastReturn ? { kind: 'rule', rule: lastReturn } : decider };
    };
    // Bounded: rule sets cannot loop (iptables and nft refuse loops), so this is a guard only.
    for (let guard = 0; guard < 100_000; guard++) {
      const rule = chain.rules[i];
      if (!rule) {
        const back = stack.pop();
        if (!back) return policy();
        this.steps.push({ ...where, chain: chain.name, kind: 'chain-end', action: `back to ${back.chain.name}` });
        chain = back.chain;
        i = back.next;
        continue;
      }
      const ref = ruleRef(rule);
      const ev = evaluateRule(rule, this.s, this.evalContext(hook, rule));
      const step: TraceStep = { ...where, chain: chain.name, kind: 'rule', rule: ref, result: ev.result, matches: ev.matches };
      this.steps.push(step);
      let matched = ev.result === 'matched';
      if (ev.result === 'unknown') {
        matched = this.decisions[this.taken.length] ?? false;
        this.taken.push(matched);
        this.assumptions.push({ rule: ref, matched });
        this.unknowns.push({ rule: ref, reasons: ev.matches.filter((m) => m.result === 'unknown').map((m) => m.reason) });
        step.assumedMatched = matched;
      }
      if (!matched) {
        i++;
        continue;
      }
      this.matched.push(ref);
      let control: Control = { kind: 'next' };
      const done: string[] = [];
      for (const action of rule.actions) {
        control = this.apply(action, rule, ref, hook, done);
        if (control.kind !== 'next') break;
      }
      if (done.length) step.action = done.join('; ');
      switch (control.kind) {
        case 'next':
          i++;
          break;
        case 'jump': {
          const target = this.ctx.chains.get(table)?.get(control.chain);
          if (!target) return { kind: 'unknown', reason: `chain ${control.chain} does not exist in table ${table.name}`, decider: { kind: 'rule', rule: ref } };
          if (stack.length >= MAX_CHAIN_DEPTH) return { kind: 'unknown', reason: 'chain nesting deeper than the kernel allows', decider: { kind: 'rule', rule: ref } };
          if (!control.goto) stack.push({ chain, next: i + 1 });
          chain = target;
          i = 0;
          break;
        }
        case 'return': {
          lastReturn = ref;
          const back = stack.pop();
          if (!back) return policy();
          chain = back.chain;
          i = back.next;
          break;
        }
        case 'verdict':
          return control.verdict;
      }
    }
    return { kind: 'unknown', reason: 'the walk did not end (rule set too large)', decider: { kind: 'rule', rule: ruleRef(chain.rules[i]!) } };
  }

  /** Applies one action; `done` collects what happened, for the step's text. */
  private apply(action: Action, rule: Rule, ref: RuleRef, hook: Hook, done: string[]): Control {
    const s = this.s;
    const decider: TraceDecider = { kind: 'rule', rule: ref };
    switch (action.kind) {
      case 'jump':
      case 'goto':
        done.push(describeAction(action));
        return { kind: 'jump', chain: action.chain, goto: action.kind === 'goto' };
      case 'return':
        done.push('RETURN');
        return { kind: 'return' };
      case 'accept':
        done.push('ACCEPT');
        return { kind: 'verdict', verdict: { kind: 'accept', decider } };
      case 'drop':
        done.push('DROP');
        return { kind: 'verdict', verdict: { kind: 'drop', decider } };
      case 'reject':
        done.push(describeAction(action));
        return { kind: 'verdict', verdict: action.with !== undefined ? { kind: 'reject', with: action.with, decider } : { kind: 'reject', decider } };
      case 'queue':
        done.push(describeAction(action));
        return { kind: 'verdict', verdict: { kind: 'queue', decider } };
      case 'redirect': {
        // Locally generated packets go to loopback; arriving ones to the first address of their interface.
        const address = hook === 'OUTPUT' ? (this.ctx.family === 'ipv4' ? '127.0.0.1' : '::1') : firstAddressOf(this.ctx.local, s.inIface, this.ctx.family);
        const ports = action.ports;
        const port = ports ? (ports.from === ports.to ? ports.from : undefined) : s.dstPort;
        s.dst = address;
        s.dstPort = port;
        s.dnatDone = true;
        this.nats++;
        const verdict: TraceVerdict = {
          kind: 'captured',
          mechanism: 'REDIRECT',
          port: port ?? ports?.from ?? 0,
          ...(ports && ports.from !== ports.to ? { portTo: ports.to } : {}),
          ...(address !== undefined ? { address } : {}),
        };
        const tproxied = this.captured?.verdict.kind === 'captured' && this.captured.verdict.mechanism === 'TPROXY';
        // A socket TPROXY assigned keeps the connection whatever NAT does to the header afterwards.
        if (!tproxied) this.captured = { verdict, rule: ref };
        done.push(`REDIRECT to ${address ?? `the address of ${s.inIface ?? 'the input interface'}`}:${port ?? `${ports?.from}-${ports?.to}`}${tproxied ? ' (TPROXY already assigned the socket: delivery stays there)' : ''}`);
        return { kind: 'verdict', verdict: { kind: 'accept', decider } };
      }
      case 'dnat': {
        const to = parseNatTarget(action.to);
        s.dst = to.exact ? (to.address ?? s.dst) : undefined;
        s.dstPort = to.port ?? (to.exact ? s.dstPort : undefined);
        s.dnatDone = true;
        this.nats++;
        this.dnat = { verdict: { kind: 'dnat', ...(s.dst !== undefined ? { address: s.dst } : {}), ...(s.dstPort !== undefined ? { port: s.dstPort } : {}) }, rule: ref };
        done.push(`DNAT to ${action.to}`);
        return { kind: 'verdict', verdict: { kind: 'accept', decider } };
      }
      case 'snat':
      case 'masquerade': {
        const to = action.kind === 'snat' ? parseNatTarget(action.to) : undefined;
        s.src = action.kind === 'snat' ? (to?.exact ? to.address : undefined) : firstAddressOf(this.ctx.local, s.outIface, this.ctx.family);
        s.snatDone = true;
        this.nats++;
        done.push(`${describeAction(action)}${s.src ? ` (source now ${s.src})` : ''}`);
        return { kind: 'verdict', verdict: { kind: 'accept', decider } };
      }
      case 'tproxy': {
        if (action.mark) s.mark = ((s.mark & ~action.mark.mask) ^ action.mark.value) >>> 0;
        const verdict: TraceVerdict = { kind: 'captured', mechanism: 'TPROXY', port: action.port, ...(action.address ? { address: action.address } : {}) };
        this.captured = { verdict, rule: ref };
        done.push(`${describeAction(action)} (delivered if a transparent socket listens there, else dropped)`);
        // The iptables target ends the table (NF_ACCEPT); nft's tproxy statement does not.
        return rule.backend === 'iptables' ? { kind: 'verdict', verdict: { kind: 'accept', decider } } : { kind: 'next' };
      }
      case 'mark':
        s.mark = ((s.mark & ~action.change.mask) ^ action.change.value) >>> 0;
        done.push(`${describeAction(action)} → mark 0x${s.mark.toString(16)}`);
        if (hook === 'OUTPUT') this.notes.push('the mark changed in OUTPUT and the kernel routes again; the out interface is taken as unchanged (policy routing by mark is not read)');
        return { kind: 'next' };
      case 'connmark': {
        if (s.ct !== 'new') {
          done.push(`${describeAction(action)} (no conntrack entry: no effect)`);
          return { kind: 'next' };
        }
        if (action.op === 'set' && action.change) s.connmark = ((s.connmark & ~action.change.mask) ^ action.change.value) >>> 0;
        if (action.op === 'save') s.connmark = ((s.connmark & ~action.ctmask) ^ (s.mark & action.nfmask)) >>> 0;
        if (action.op === 'restore') s.mark = ((s.mark & ~action.nfmask) ^ (s.connmark & action.ctmask)) >>> 0;
        done.push(`${describeAction(action)} → mark 0x${s.mark.toString(16)}, connmark 0x${s.connmark.toString(16)}`);
        return { kind: 'next' };
      }
      case 'ct':
        if (s.ct !== 'none' || this.looped) {
          done.push(`${describeAction(action)} (the packet already has a conntrack entry: no effect)`);
        } else if (action.notrack) {
          s.ct = 'untracked';
          done.push(describeAction(action));
        } else {
          s.ctTemplate = true;
          done.push(describeAction(action));
        }
        return { kind: 'next' };
      case 'log':
        done.push(describeAction(action));
        return { kind: 'next' };
      case 'other':
        if (NON_TERMINATING_TARGETS.has(action.name)) {
          done.push(`${action.text} (not modelled; does not decide)`);
          return { kind: 'next' };
        }
        done.push(`${action.text} (not modelled)`);
        return { kind: 'verdict', verdict: { kind: 'unknown', reason: `target "${action.text}" is not modelled`, decider } };
    }
  }
}

/** Indexes a rule set for walking packets of one family. */
export function buildWalkContext(ruleset: Ruleset, family: Cidr['family'], local: LocalNetwork | undefined, localNets: Cidr[]): WalkContext {
  const want = family === 'ipv4' ? 'ip' : 'ip6';
  const baseChains = new Map<Hook, Array<{ table: Table; chain: Chain }>>();
  const chains = new Map<Table, Map<string, Chain>>();
  let helpers = false;
  for (const table of ruleset.tables) {
    if (table.family !== want && table.family !== 'inet') continue;
    chains.set(table, new Map(table.chains.map((c) => [c.name, c])));
    for (const chain of table.chains) {
      if (chain.base) {
        const list = baseChains.get(chain.base.hook) ?? [];
        list.push({ table, chain });
        baseChains.set(chain.base.hook, list);
      }
      for (const rule of chain.rules) {
        if (rule.actions.some((a) => (a.kind === 'ct' && a.helper !== undefined) || (a.kind === 'other' && /helper/i.test(a.name)))) helpers = true;
      }
    }
  }
  // Stable: equal priorities keep rule-set order (the kernel keeps registration order).
  for (const list of baseChains.values()) list.sort((a, b) => a.chain.base!.priority - b.chain.base!.priority);
  return { family, local, localNets, helpers, baseChains, chains };
}
