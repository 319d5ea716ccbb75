import { parseIpValue } from '../ruleset/address.ts';
import type { Ruleset } from '../ruleset/types.ts';
import { localNetworks, type LocalNetwork } from './local-network.ts';
import { parseTracePacket } from './packet.ts';
import type { RuleRef, TraceOutcome, TraceResult, TraceVerdict } from './types.ts';
import { buildWalkContext, walkPath, type WalkResult } from './walk.ts';

export interface TraceOptions {
  /** The namespace's interfaces and addresses (readLocalNetwork); without it, "is this address local" stays open. */
  local?: LocalNetwork;
  /** How many combinations of unknown matches to explore (default 64). */
  maxPaths?: number;
}

function ruleKey(r: RuleRef): string {
  return `${r.backend}/${r.family}/${r.table}/${r.chain}/${r.index}`;
}

function verdictKey(v: TraceVerdict): string {
  return JSON.stringify(v);
}

function deciderKey(o: TraceOutcome): string {
  const d = o.decidedBy;
  if (!d) return '';
  return d.kind === 'rule' ? `rule:${ruleKey(d.rule)}` : `policy:${d.backend}/${d.family}/${d.table}/${d.chain}`;
}

/**
 * Follows the first packet of a connection through a rule set in kernel order (see walk.ts for the
 * hook/table order) and reports every rule visited, the deciding rule and the verdict. A match the
 * tracer cannot evaluate (-m socket, an owner match without --uid, an unmodelled module…) is
 * reported unknown: both answers are followed, and when they lead to different verdicts the
 * verdict is `uncertain` with the possibilities listed — never guessed.
 */
export function tracePacket(ruleset: Ruleset, packetInput: unknown, options: TraceOptions = {}): TraceResult {
  const packet = parseTracePacket(packetInput);
  const family = parseIpValue(packet.src)!.family;
  const ctx = buildWalkContext(ruleset, family, options.local, options.local ? localNetworks(options.local) : []);
  const maxPaths = options.maxPaths ?? 64;

  // Breadth-first over the answers to unknown matches: the first walk assumes "not matched" for all.
  const walks: WalkResult[] = [];
  const queue: boolean[][] = [[]];
  let explorationLimited = false;
  while (queue.length) {
    if (walks.length >= maxPaths) {
      explorationLimited = true;
      break;
    }
    const prefix = queue.shift()!;
    const walk = walkPath(ctx, packet, prefix);
    walks.push(walk);
    for (let j = prefix.length; j < walk.taken.length; j++) if (!walk.taken[j]) queue.push([...walk.taken.slice(0, j), true]);
  }

  const outcomes: TraceOutcome[] = walks.map((w) => ({
    assumptions: w.assumptions,
    verdict: w.verdict,
    ...(w.decidedBy ? { decidedBy: w.decidedBy } : {}),
    steps: w.steps,
    matchedRules: w.matchedRules,
    final: w.final,
  }));
  const first = outcomes[0]!;
  const verdicts = new Map<string, TraceVerdict>();
  for (const o of outcomes) verdicts.set(verdictKey(o.verdict), o.verdict);
  const certain = !explorationLimited && verdicts.size === 1;
  const sameDecider = outcomes.every((o) => deciderKey(o) === deciderKey(first));

  const unknowns = new Map<string, { rule: RuleRef; reasons: string[] }>();
  for (const w of walks) {
    for (const u of w.unknowns) {
      const entry = unknowns.get(ruleKey(u.rule)) ?? { rule: u.rule, reasons: [] };
      for (const r of u.reasons) if (!entry.reasons.includes(r)) entry.reasons.push(r);
      unknowns.set(ruleKey(u.rule), entry);
    }
  }

  const assumptions = ['the first packet of a new connection (TCP SYN or first UDP datagram): conntrack state NEW, so nat chains see it'];
  if (packet.mark === undefined) assumptions.push('packet mark 0 at the start (no --mark given)');
  if (!options.local) assumptions.push('no local address list: only loopback addresses are known to be local');
  const flavours = new Set(ruleset.tables.filter((t) => t.backend === 'iptables' && t.flavour).map((t) => t.flavour));
  if (flavours.size > 1) assumptions.push('both iptables-legacy and iptables-nft hold rules; at equal priority the kernel runs them in registration order, taken here as listed');
  for (const w of walks) for (const n of w.notes) if (!assumptions.includes(n)) assumptions.push(n);

  return {
    packet,
    family,
    certain,
    verdict: certain ? first.verdict : { kind: 'uncertain', possible: [...verdicts.values()] },
    ...(certain && sameDecider && first.decidedBy ? { decidedBy: first.decidedBy } : {}),
    steps: first.steps,
    outcomes,
    unknowns: [...unknowns.values()],
    assumptions,
    explorationLimited,
  };
}
