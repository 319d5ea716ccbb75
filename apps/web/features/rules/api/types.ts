/**
 * Response shapes of the rules and trace routes (apps/api/src/schemas/inspect.ts), from the generated
 * lib/api-types.ts. The schema declares the envelopes but leaves core's rule-set and trace documents
 * (packages/core/src/capture/ruleset/types.ts, capture/trace/types.ts) as `unknown`, so their
 * shapes are written here and put in place of the `unknown` fields.
 */
import type { components, paths } from '../../../lib/api-types.ts';

type Schemas = components['schemas'];

export interface Counters {
  packets: number;
  bytes: number;
}

/** A rule as core's ruleset reader gives it (packages/core/src/capture/ruleset/types.ts). */
export interface Rule {
  family: string;
  table: string;
  chain: string;
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  index: number;
  /** The rule as written: `-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15001`, or nft text. */
  text: string;
  counters?: Counters;
  comment?: string;
  /** Carries meshcap's comment prefix. */
  ours: boolean;
}

export interface Chain {
  name: string;
  /** Built-in iptables chain / nft base chain. */
  base?: { hook: string; priority: number; type: string };
  policy?: string;
  /** Packets/bytes that fell through to the policy. */
  counters?: Counters;
  rules: Rule[];
}

export interface Table {
  backend: 'iptables' | 'nftables' | (string & {});
  /** `ip`, `ip6` or `inet`. */
  family: string;
  name: string;
  flavour?: 'nft' | 'legacy';
  chains: Chain[];
}

/** Where a part of the rule set came from (core's `RulesetSource`). */
export interface RulesetSource {
  kind: 'iptables-save' | 'nft-json' | (string & {});
  family?: string;
  flavour?: 'nft' | 'legacy';
  generatedBy?: string;
  origin?: string;
  /** Why this source could not be read (the legacy tables are root-only to list). Not a warning. */
  unreadable?: string;
}

/** `warnings`: what the reader did not understand in the rules. */
export type Ruleset = Omit<Schemas['RulesResult']['ruleset'], 'tables' | 'sources'> & { tables: Table[]; sources: RulesetSource[] };

/** `GET /api/meshes/{mesh}/dataplanes/{name}/rules`: read by the dataplane in its own namespace; `local` (its addresses) is shown as is. */
export type RulesResult = Omit<Schemas['RulesResult'], 'ruleset'> & { ruleset: Ruleset };

/** Body of `POST .../dataplanes/{name}/trace`: core's `TracePacket` (capture/trace/types.ts). */
export type TraceRequest = paths['/api/meshes/{mesh}/dataplanes/{name}/trace']['post']['requestBody']['content']['application/json'];

export interface RuleRef {
  family: string;
  table: string;
  chain: string;
  index: number;
  text: string;
  comment?: string;
  ours: boolean;
}

export type TraceDecider =
  | { kind: 'rule'; rule: RuleRef }
  | { kind: 'policy'; family: string; table: string; chain: string; policy: string };

export interface TraceStep {
  hook: string;
  family: string;
  table: string;
  chain: string;
  kind: 'rule' | 'policy' | 'chain-end' | 'skip' | 'event' | (string & {});
  rule?: RuleRef;
  result?: 'matched' | 'not-matched' | 'unknown';
  assumedMatched?: boolean;
  matches?: Array<{ match: string; result: string; reason: string }>;
  action?: string;
  note?: string;
}

export type TraceVerdict =
  | { kind: 'captured'; mechanism: string; port: number; portTo?: number; address?: string }
  | { kind: 'dnat'; address?: string; port?: number }
  | { kind: 'accepted'; delivery: string; address: string; port: number; iface?: string }
  | { kind: 'dropped' }
  | { kind: 'rejected'; with?: string }
  | { kind: 'queued' }
  | { kind: 'unknown'; reason: string };

/** Answer of the trace route: core's `TraceResult`; `steps`: the path assuming every unknown match did not match. */
export type TraceResult = Omit<Schemas['TraceResult'], 'verdict' | 'decidedBy' | 'steps' | 'unknowns'> & {
  verdict: TraceVerdict | { kind: 'uncertain'; possible: TraceVerdict[] };
  decidedBy?: TraceDecider;
  steps: TraceStep[];
  unknowns: Array<{ rule: RuleRef; reasons: string[] }>;
};
