import { parseVirtualNetwork, type ResolvedTransparentProxyConfig, type VirtualNetwork } from './config.ts';
import { COMMENT_PREFIX, FAMILY_ADDRESSES } from './constants.ts';
import { parseCidr } from './ip-address.ts';
import type { CaptureRule, IpFamily, NetfilterTable, RuleMatch, RuleTarget, TransportProtocol } from './rules.ts';

/** What the table builders need to know about one IP family. */
export interface FamilyContext {
  family: IpFamily;
  config: ResolvedTransparentProxyConfig;
  localhost: string;
  inboundPassthroughSource: string;
  /** DNS capture applies to this family: all DNS, or at least one nameserver of this family. */
  dns: boolean;
  /** Nameservers of this family as host CIDRs; empty when all DNS is captured. */
  dnsServers: string[];
  excludeInboundIps: string[];
  excludeOutboundIps: string[];
  /** `--vnet` networks of this family. */
  vnets: VirtualNetwork[];
  /** Inbound is captured with mangle TPROXY rather than nat REDIRECT. */
  tproxy: boolean;
  /** Identities of the dataplane's own traffic: its UID, and its SO_MARK when configured. */
  uid: number;
  mark: number | undefined;
}

export function familyContext(config: ResolvedTransparentProxyConfig, family: IpFamily): FamilyContext {
  const inFamily = (cidrs: string[]) => cidrs.filter((c) => parseCidr(c)?.family === family);
  const servers = config.redirectAllDnsTraffic ? [] : config.dnsServers[family].map((a) => parseCidr(a)!.text);
  const dnsWanted = config.redirectDns || config.redirectAllDnsTraffic;
  return {
    family,
    config,
    localhost: FAMILY_ADDRESSES[family].localhost,
    inboundPassthroughSource: FAMILY_ADDRESSES[family].inboundPassthroughSource,
    dns: dnsWanted && (config.redirectAllDnsTraffic || servers.length > 0),
    dnsServers: servers,
    excludeInboundIps: inFamily(config.excludeInboundIps),
    excludeOutboundIps: inFamily(config.excludeOutboundIps),
    vnets: config.vnet.map((v) => parseVirtualNetwork(v) as VirtualNetwork).filter((v) => parseCidr(v.cidr)?.family === family),
    tproxy: config.inboundMode === 'tproxy' && config.redirectInbound,
    uid: config.kumaDpUid,
    mark: config.excludeOutboundMark,
  };
}

/** iptables keeps at most 255 characters of a comment. */
function commentText(text: string): string {
  return `${COMMENT_PREFIX}${text}`.slice(0, 255);
}

/** Collects the rules of one table; `comment` gets the meshcap prefix. */
export class TableRules {
  readonly rules: CaptureRule[] = [];
  readonly chains = new Set<string>();

  constructor(readonly table: NetfilterTable) {}

  /** Declares a user-defined chain (created even if it stays empty). */
  chain(name: string): this {
    this.chains.add(name);
    return this;
  }

  append(chain: string, comment: string, target: RuleTarget, ...matches: RuleMatch[]): this {
    this.rules.push({ table: this.table, chain, placement: 'append', matches, target, comment: commentText(comment) });
    return this;
  }

  /** Goes before rules already present in a built-in chain, keeping the order of our inserts. */
  insert(chain: string, comment: string, target: RuleTarget, ...matches: RuleMatch[]): this {
    this.rules.push({ table: this.table, chain, placement: 'insert', matches, target, comment: commentText(comment) });
    return this;
  }
}

// Small constructors so the builders read like the rules they make.
export const match = {
  source: (cidr: string, negated = false): RuleMatch => ({ type: 'source', cidr, ...(negated ? { negated } : {}) }),
  destination: (cidr: string, negated = false): RuleMatch => ({ type: 'destination', cidr, ...(negated ? { negated } : {}) }),
  inInterface: (name: string): RuleMatch => ({ type: 'in-interface', name }),
  outInterface: (name: string): RuleMatch => ({ type: 'out-interface', name }),
  protocol: (protocol: TransportProtocol): RuleMatch => ({ type: 'protocol', protocol }),
  destinationPort: (protocol: TransportProtocol, port: number, negated = false): RuleMatch => ({ type: 'destination-port', protocol, port, ...(negated ? { negated } : {}) }),
  sourcePort: (protocol: TransportProtocol, port: number): RuleMatch => ({ type: 'source-port', protocol, port }),
  uid: (uid: number, negated = false): RuleMatch => ({ type: 'owner', uid: { from: uid, to: uid }, ...(negated ? { negated } : {}) }),
  mark: (mark: number, negated = false): RuleMatch => ({ type: 'mark', mark, ...(negated ? { negated } : {}) }),
};

export const target = {
  jump: (chain: string): RuleTarget => ({ type: 'jump', chain }),
  return: { type: 'return' } as RuleTarget,
  accept: { type: 'accept' } as RuleTarget,
  redirect: (toPort: number): RuleTarget => ({ type: 'redirect', toPort }),
  ctZone: (zone: number): RuleTarget => ({ type: 'ct-zone', zone }),
  log: (prefix: string): RuleTarget => ({ type: 'log', prefix, level: 7 }),
};

