import { tracePacketSchema, type LocalNetwork, type Ruleset, type TraceResult } from '@meshcap/core';
import { z } from 'zod';

/**
 * Core's rule-set and trace documents (packages/core/src/capture/ruleset/types.ts and
 * capture/trace/types.ts) as response schemas, so that the OpenAPI document — and the dashboard's
 * types generated from it — has their shapes instead of `unknown`. Responses are checked against
 * them (zod-provider.ts): the compile-time checks at the end make a change to core's types that
 * these do not follow a type error here, not a 500 at run time.
 */

const tableFamily = z.enum(['ip', 'ip6', 'inet']);
const ruleBackend = z.enum(['iptables', 'nftables']);
const hook = z.enum(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const ipFamily = z.enum(['ipv4', 'ipv6']);
const counters = z.object({ packets: z.number(), bytes: z.number() }).meta({ id: 'RuleCounters' });
const portRange = z.object({ from: z.number().int(), to: z.number().int() });
const idCondition = z.object({ negated: z.boolean(), ranges: z.array(z.object({ from: z.number(), to: z.number() })) });
const markChange = z.object({ value: z.number(), mask: z.number() });
const cidr = z.object({ family: ipFamily, text: z.string(), address: z.string(), prefixLength: z.number().int() });
const negatedTypes = z.object({ negated: z.boolean(), types: z.array(z.string()) });

/** One match of a rule, as the reader understood it (`unknown`: kept as text). */
const ruleMatch = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('protocol'), negated: z.boolean(), protocol: z.string() }),
    z.object({ kind: z.literal('family'), negated: z.boolean(), family: ipFamily }),
    z.object({ kind: z.literal('address'), field: z.enum(['source', 'destination']), negated: z.boolean(), cidrs: z.array(cidr) }),
    z.object({ kind: z.literal('interface'), field: z.enum(['in', 'out']), negated: z.boolean(), name: z.string(), wildcard: z.boolean() }),
    z.object({ kind: z.literal('port'), field: z.enum(['source', 'destination', 'either']), negated: z.boolean(), ranges: z.array(portRange), protocol: z.string().optional() }),
    z.object({ kind: z.literal('owner'), uid: idCondition.optional(), gid: idCondition.optional(), socketExists: z.object({ negated: z.boolean() }).optional(), supplementaryGroups: z.boolean() }),
    z.object({ kind: z.literal('mark'), negated: z.boolean(), value: z.number(), mask: z.number() }),
    z.object({ kind: z.literal('connmark'), negated: z.boolean(), value: z.number(), mask: z.number() }),
    z.object({ kind: z.literal('comment'), comment: z.string() }),
    z.object({ kind: z.literal('conntrack'), state: z.object({ negated: z.boolean(), states: z.array(z.enum(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'])) }).optional() }),
    z.object({ kind: z.literal('addrtype'), source: negatedTypes.optional(), destination: negatedTypes.optional(), limitIface: z.enum(['in', 'out']).optional() }),
    z.object({ kind: z.literal('socket'), options: z.array(z.string()) }),
    z.object({ kind: z.literal('tcp-flags'), negated: z.boolean(), mask: z.array(z.string()), set: z.array(z.string()) }),
    z.object({ kind: z.literal('fragment'), negated: z.boolean() }),
    z.object({ kind: z.literal('unknown'), module: z.string().optional(), text: z.string() }),
  ])
  .meta({ id: 'RuleMatch' });

/** What a rule does when it matches (`other`: kept as text). */
const ruleAction = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('jump'), chain: z.string() }),
    z.object({ kind: z.literal('goto'), chain: z.string() }),
    z.object({ kind: z.literal('accept') }),
    z.object({ kind: z.literal('drop') }),
    z.object({ kind: z.literal('return') }),
    z.object({ kind: z.literal('reject'), with: z.string().optional() }),
    z.object({ kind: z.literal('redirect'), ports: portRange.optional() }),
    z.object({ kind: z.literal('tproxy'), port: z.number().int(), address: z.string().optional(), mark: markChange.optional() }),
    z.object({ kind: z.literal('mark'), change: markChange }),
    z.object({ kind: z.literal('connmark'), op: z.enum(['set', 'save', 'restore']), change: markChange.optional(), nfmask: z.number(), ctmask: z.number() }),
    z.object({ kind: z.literal('ct'), notrack: z.boolean(), zone: z.number().optional(), helper: z.string().optional(), options: z.array(z.string()) }),
    z.object({ kind: z.literal('log'), prefix: z.string().optional(), level: z.string().optional() }),
    z.object({ kind: z.literal('dnat'), to: z.string() }),
    z.object({ kind: z.literal('snat'), to: z.string() }),
    z.object({ kind: z.literal('masquerade'), ports: portRange.optional() }),
    z.object({ kind: z.literal('queue'), text: z.string() }),
    z.object({ kind: z.literal('other'), name: z.string(), text: z.string() }),
  ])
  .meta({ id: 'RuleAction' });

const ruleFields = {
  backend: ruleBackend,
  family: tableFamily,
  table: z.string(),
  chain: z.string(),
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  index: z.number().int(),
  /** nft's rule handle. */
  handle: z.number().int().optional(),
  /** The rule as written (`-A KUMA_MESH_OUTBOUND … -j REDIRECT --to-ports 15001`, or nft text). */
  text: z.string(),
  comment: z.string().optional(),
  /** Carries meshcap's comment prefix. */
  ours: z.boolean(),
};

export const rule = z
  .object({ ...ruleFields, line: z.number().int().optional(), counters: counters.optional(), matches: z.array(ruleMatch), actions: z.array(ruleAction) })
  .meta({ id: 'Rule' });

export const ruleChain = z
  .object({
    name: z.string(),
    /** A built-in iptables chain / nft base chain. */
    base: z.object({ hook, priority: z.number(), type: z.enum(['filter', 'nat', 'route']) }).optional(),
    policy: z.enum(['ACCEPT', 'DROP']).optional(),
    /** Packets and bytes that fell through to the policy. */
    counters: counters.optional(),
    rules: z.array(rule),
  })
  .meta({ id: 'RuleChain' });

export const ruleTable = z
  .object({ backend: ruleBackend, family: tableFamily, name: z.string(), flavour: z.enum(['nft', 'legacy']).optional(), chains: z.array(ruleChain) })
  .meta({ id: 'RuleTable' });

export const rulesetSource = z
  .object({
    kind: z.enum(['iptables-save', 'nft-json']),
    family: tableFamily.optional(),
    flavour: z.enum(['nft', 'legacy']).optional(),
    generatedBy: z.string().optional(),
    origin: z.string().optional(),
    /** Why this source could not be read (the legacy tables are root-only to list). Not a warning. */
    unreadable: z.string().optional(),
  })
  .meta({ id: 'RulesetSource' });

export const ruleset = z
  .object({ tables: z.array(ruleTable), sources: z.array(rulesetSource), /** What the reader did not understand in the rules. */ warnings: z.array(z.string()) })
  .meta({ id: 'Ruleset' });

/** The namespace's own addresses (`ip -j addr`), which the trace uses to tell local destinations. */
export const localNetwork = z
  .object({ interfaces: z.array(z.object({ name: z.string(), addresses: z.array(z.object({ family: ipFamily, address: z.string(), prefixLength: z.number().int() })) })) })
  .meta({ id: 'LocalNetwork' });

/** A rule named in a trace: where it is and its text (core's `RuleRef`). */
export const ruleRef = z.object(ruleFields).meta({ id: 'RuleRef' });

export const traceDecider = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('rule'), rule: ruleRef }),
    z.object({ kind: z.literal('policy'), backend: ruleBackend, family: tableFamily, table: z.string(), chain: z.string(), policy: z.enum(['ACCEPT', 'DROP']) }),
  ])
  .meta({ id: 'TraceDecider' });

export const traceStep = z
  .object({
    hook,
    backend: ruleBackend,
    family: tableFamily,
    table: z.string(),
    chain: z.string(),
    kind: z.enum(['rule', 'policy', 'chain-end', 'skip', 'event']),
    rule: ruleRef.optional(),
    result: z.enum(['matched', 'not-matched', 'unknown']).optional(),
    /** An unknown match taken as matched on this path. */
    assumedMatched: z.boolean().optional(),
    matches: z.array(z.object({ match: z.string(), result: z.enum(['match', 'no-match', 'unknown']), reason: z.string() })).optional(),
    action: z.string().optional(),
    note: z.string().optional(),
  })
  .meta({ id: 'TraceStep' });

export const traceVerdict = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('captured'), mechanism: z.enum(['REDIRECT', 'TPROXY']), port: z.number().int(), portTo: z.number().int().optional(), address: z.string().optional() }),
    z.object({ kind: z.literal('dnat'), address: z.string().optional(), port: z.number().int().optional() }),
    z.object({ kind: z.literal('accepted'), delivery: z.enum(['local', 'sent', 'forwarded']), address: z.string(), port: z.number().int(), iface: z.string().optional() }),
    z.object({ kind: z.literal('dropped') }),
    z.object({ kind: z.literal('rejected'), with: z.string().optional() }),
    z.object({ kind: z.literal('queued') }),
    z.object({ kind: z.literal('unknown'), reason: z.string() }),
  ])
  .meta({ id: 'TraceVerdict' });

/** One path through the rules, for one combination of assumed outcomes of unknown matches. */
export const traceOutcome = z
  .object({
    assumptions: z.array(z.object({ rule: ruleRef, matched: z.boolean() })),
    verdict: traceVerdict,
    decidedBy: traceDecider.optional(),
    steps: z.array(traceStep),
    matchedRules: z.array(ruleRef),
    /** The packet as it leaves the rules (after DNAT/REDIRECT and mark changes). */
    final: z.object({ src: z.string().optional(), dst: z.string().optional(), dstPort: z.number().int().optional(), mark: z.number() }),
  })
  .meta({ id: 'TraceOutcome' });

export const traceResultDocument = z.object({
  /** The packet traced: the request body's fields (not its strictness: an answer is not refused). */
  packet: z.object(tracePacketSchema.shape),
  family: ipFamily,
  /** True when every explored path ends in the same verdict. */
  certain: z.boolean(),
  verdict: z.union([traceVerdict, z.object({ kind: z.literal('uncertain'), possible: z.array(traceVerdict) })]),
  decidedBy: traceDecider.optional(),
  /** The path assuming every unknown match did not match. */
  steps: z.array(traceStep),
  outcomes: z.array(traceOutcome),
  unknowns: z.array(z.object({ rule: ruleRef, reasons: z.array(z.string()) })),
  assumptions: z.array(z.string()),
  explorationLimited: z.boolean(),
});

/**
 * Same shape both ways: what core produces is what the schema accepts, and no required field of
 * core's is left out (an optional field core adds is not caught: add it here with it).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameRuleset: Same<z.output<typeof ruleset>, Ruleset> = true;
const sameLocalNetwork: Same<z.output<typeof localNetwork>, LocalNetwork> = true;
const sameTraceResult: Same<z.output<typeof traceResultDocument>, TraceResult> = true;
void [sameRuleset, sameLocalNetwork, sameTraceResult];
