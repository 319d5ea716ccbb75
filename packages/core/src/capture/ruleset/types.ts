import type { Cidr } from '../ip-address.ts';

/**
 * The typed rule set read back from the kernel: tables → chains → rules, for iptables (both the
 * nf_tables and the legacy flavour print the same `iptables-save` text) and for nftables tables.
 * Every value is plain JSON so the API and the dashboard can show it as it is.
 */

/** nft's family names; an iptables-save from `iptables` is `ip`, from `ip6tables` is `ip6`. */
export type TableFamily = 'ip' | 'ip6' | 'inet';
export type RuleBackend = 'iptables' | 'nftables';
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface Counters {
  packets: number;
  bytes: number;
}

export interface Ruleset {
  tables: Table[];
  /** Where each part came from (one entry per iptables-save text or nft JSON document). */
  sources: RulesetSource[];
  /** Lines or objects that were not understood at the table/chain level, with their location. */
  warnings: string[];
}

export interface RulesetSource {
  kind: 'iptables-save' | 'nft-json';
  family?: TableFamily;
  /** `nft` when the save header says `(nf_tables)`, `legacy` when it names no backend. */
  flavour?: 'nft' | 'legacy';
  /** The save header (`iptables-save v1.8.9 (nf_tables)`) or nft's version. */
  generatedBy?: string;
  /** File name or command the text came from. */
  origin?: string;
  /**
   * Set when the source could not be read, with the reason. Only one case is expected: the legacy
   * tables are listed through a root-only /proc file, so a dataplane running as the proxy user
   * cannot list them. That is a fact about the reader, not a problem with the rules, so it is said
   * here rather than in `warnings`.
   */
  unreadable?: string;
}

export interface Table {
  backend: RuleBackend;
  family: TableFamily;
  name: string;
  /** iptables flavour of this table, when known. */
  flavour?: 'nft' | 'legacy';
  chains: Chain[];
}

export interface Chain {
  name: string;
  /** A built-in iptables chain or an nft base chain: attached to a hook, has a policy. */
  base?: {
    hook: Hook;
    /** Netfilter priority (iptables: the table's fixed priority, e.g. nat -100 at OUTPUT). */
    priority: number;
    /** `nat` chains see only the first packet of a connection. */
    type: 'filter' | 'nat' | 'route';
  };
  policy?: 'ACCEPT' | 'DROP';
  /** Packets/bytes that fell through to the policy (built-in chains). */
  counters?: Counters;
  rules: Rule[];
}

export interface Rule {
  backend: RuleBackend;
  family: TableFamily;
  table: string;
  chain: string;
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  index: number;
  /** nft rule handle. */
  handle?: number;
  /** The rule as written: `-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND`, or the nft statement text. */
  text: string;
  /** 1-based line in the source text (iptables-save). */
  line?: number;
  counters?: Counters;
  matches: Match[];
  /** What the rule does when every match holds, in order (iptables: at most one target). */
  actions: Action[];
  comment?: string;
  /** The comment starts with meshcap's rule prefix: installed by `meshcap install transparent-proxy`. */
  ours: boolean;
}

export interface PortRange {
  from: number;
  to: number;
}

/** A uid/gid condition: inclusive ranges, possibly negated. */
export interface IdCondition {
  negated: boolean;
  ranges: Array<{ from: number; to: number }>;
}

export type ConntrackState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';

export type Match =
  | { kind: 'protocol'; negated: boolean; protocol: string }
  /** nft `meta nfproto ipv4` (an inet table holds both families; iptables tables are one family each). */
  | { kind: 'family'; negated: boolean; family: Cidr['family'] }
  /** Source/destination in any of `cidrs`. A packet of the other family never matches, negated or not (nft `ip daddr != …` needs an IPv4 packet). */
  | { kind: 'address'; field: 'source' | 'destination'; negated: boolean; cidrs: Cidr[] }
  | {
      kind: 'interface';
      field: 'in' | 'out';
      negated: boolean;
      /** The name, or its prefix when `wildcard` (iptables `eth+`, nft `"eth*"`). */
      name: string;
      wildcard: boolean;
    }
  | {
      kind: 'port';
      field: 'source' | 'destination' | 'either';
      negated: boolean;
      ranges: PortRange[];
      /** The transport the port belongs to (`-m tcp`, nft `udp dport`); other protocols never match. */
      protocol?: string;
    }
  | { kind: 'owner'; uid?: IdCondition; gid?: IdCondition; socketExists?: { negated: boolean }; supplementaryGroups: boolean }
  | { kind: 'mark'; negated: boolean; value: number; mask: number }
  | { kind: 'connmark'; negated: boolean; value: number; mask: number }
  | { kind: 'comment'; comment: string }
  | {
      kind: 'conntrack';
      /** Other conntrack options (--ctstatus, --ctorigsrc…) become `unknown` matches of module `conntrack`. */
      state?: { negated: boolean; states: ConntrackState[] };
    }
  | {
      kind: 'addrtype';
      source?: { negated: boolean; types: string[] };
      destination?: { negated: boolean; types: string[] };
      limitIface?: 'in' | 'out';
    }
  | { kind: 'socket'; options: string[] }
  | { kind: 'tcp-flags'; negated: boolean; mask: string[]; set: string[] }
  | { kind: 'fragment'; negated: boolean }
  | {
      kind: 'unknown';
      /** The iptables match module (`-m icmp`) when there was one. */
      module?: string;
      /** The text of the match as written. */
      text: string;
    };

export interface MarkChange {
  /** Result = (old & ~mask) ^ value, the kernel's xmark form every MARK spelling reduces to. */
  value: number;
  mask: number;
}

export type Action =
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'return' }
  | { kind: 'reject'; with?: string }
  | { kind: 'redirect'; ports?: PortRange }
  | { kind: 'tproxy'; port: number; address?: string; mark?: MarkChange }
  | { kind: 'mark'; change: MarkChange }
  | {
      kind: 'connmark';
      /** set: ctmark = (ctmark & ~mask) ^ value; save: ctmark from the packet mark; restore: the reverse. */
      op: 'set' | 'save' | 'restore';
      change?: MarkChange;
      nfmask: number;
      ctmask: number;
    }
  | { kind: 'ct'; notrack: boolean; zone?: number; helper?: string; options: string[] }
  | { kind: 'log'; prefix?: string; level?: string }
  | { kind: 'dnat'; to: string }
  | { kind: 'snat'; to: string }
  | { kind: 'masquerade'; ports?: PortRange }
  | { kind: 'queue'; text: string }
  | {
      /** A target meshcap does not model: its name and arguments as written. */
      kind: 'other';
      name: string;
      text: string;
    };
