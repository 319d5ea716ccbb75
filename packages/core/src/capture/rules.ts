/**
 * The typed rule model every backend renders from: one list of rules per IP family, each rule in
 * the table and chain where it lands, in the order the kernel evaluates it after an install into
 * an empty namespace. Renderers turn it into iptables-restore / iptables-save text or an nft script.
 */

export type IpFamily = 'ipv4' | 'ipv6';
export type NetfilterTable = 'raw' | 'mangle' | 'nat';
export type TransportProtocol = 'tcp' | 'udp';

/** A port or an inclusive port range (`from === to` for one port). */
export interface PortRange {
  from: number;
  to: number;
}

export type RuleMatch =
  /** Address or network in canonical CIDR form (`127.0.0.6/32`). */
  | { type: 'source'; cidr: string; negated?: boolean }
  | { type: 'destination'; cidr: string; negated?: boolean }
  | { type: 'in-interface'; name: string }
  | { type: 'out-interface'; name: string }
  | { type: 'protocol'; protocol: TransportProtocol }
  /** `-m tcp --dport N` (the rule also has a `protocol` match). */
  | { type: 'destination-port'; protocol: TransportProtocol; port: number; negated?: boolean }
  | { type: 'source-port'; protocol: TransportProtocol; port: number }
  /** `-m multiport --dports a,b:c` (destination ports). */
  | { type: 'destination-ports'; protocol: TransportProtocol; ports: PortRange[]; negated?: boolean }
  /** `-m owner --uid-owner N` or a range `N-M`. */
  | { type: 'owner'; uid: PortRange; negated?: boolean }
  | { type: 'mark'; mark: number; negated?: boolean }
  | { type: 'connmark'; mark: number }
  | { type: 'conntrack-state'; states: Array<'NEW' | 'ESTABLISHED' | 'RELATED'> };

export type RuleTarget =
  | { type: 'jump'; chain: string }
  | { type: 'return' }
  | { type: 'accept' }
  | { type: 'redirect'; toPort: number }
  | { type: 'tproxy'; onPort: number; mark: number }
  | { type: 'set-mark'; mark: number }
  | { type: 'save-connmark' }
  | { type: 'restore-connmark' }
  | { type: 'ct-zone'; zone: number }
  | { type: 'log'; prefix: string; level: number };

export interface CaptureRule {
  table: NetfilterTable;
  chain: string;
  /**
   * Built-in chains only: `insert` rules go before any rule already in the chain (Kuma's
   * `-I OUTPUT n`), `append` rules after them. User chains are ours entirely.
   */
  placement: 'append' | 'insert';
  matches: RuleMatch[];
  target: RuleTarget;
  /** Full comment, always starting with COMMENT_PREFIX. */
  comment: string;
}

/** TPROXY mode: marked packets look up a table whose only route makes every address local. */
export interface PolicyRouting {
  mark: number;
  table: number;
  /** `ip rule add fwmark <mark> lookup <table> protocol <protocol>`, `ip route add local <any> dev lo table <table> proto <protocol>`. */
  protocol: number;
  /** `0.0.0.0/0` or `::/0`. */
  destination: string;
}

export interface FamilyRules {
  family: IpFamily;
  /** User-defined chains per table, sorted by name (the order iptables-save prints them). */
  chains: Array<{ table: NetfilterTable; name: string }>;
  /** Every rule, grouped by table and chain, in evaluation order. */
  rules: CaptureRule[];
  routing?: PolicyRouting;
  /** Addresses the install adds to `lo` when missing (IPv6 `::6/128`, the inbound passthrough source). */
  loopbackAddresses: string[];
}

export interface CaptureRuleSet {
  backend: 'iptables' | 'nftables';
  inboundMode: 'redirect' | 'tproxy';
  /** IPv4 first; IPv6 only in dualstack mode. */
  families: FamilyRules[];
}

/** Built-in chains of each table, in the order iptables-save lists them. */
export const BUILTIN_CHAINS: Record<NetfilterTable, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export const TABLE_ORDER: readonly NetfilterTable[] = ['raw', 'mangle', 'nat'];

export function isBuiltinChain(table: NetfilterTable, chain: string): boolean {
  return BUILTIN_CHAINS[table].includes(chain);
}
