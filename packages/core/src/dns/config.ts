/**
 * What the dataplane's DNS proxy runs: decoded from the `kuma:dns` Listener (Envoy's
 * `envoy.filters.udp.dns_filter`) the control plane sends, so it is part of the one xDS contract.
 */

export interface DnsAddress {
  address: string;
  port: number;
}

/** The addresses one mesh name answers with. */
export interface DnsRecord {
  /** IPv4 addresses (A). */
  a: string[];
  /** IPv6 addresses (AAAA); Kuma answers a VIP's IPv4-mapped form (`::ffff:240.0.0.1`). */
  aaaa: string[];
  /** Answer TTL in seconds (the virtual domain's `answer_ttl`). */
  ttl: number;
}

export interface DnsProxyConfig {
  /** The listener's name (`kuma:dns`). */
  name: string;
  /** `dns_filter.<statPrefix>.*` stats. */
  statPrefix: string;
  /** Where it listens, UDP and TCP on each (the listener's address and additional addresses). */
  addresses: DnsAddress[];
  /** Lower-case names without the trailing dot → records (the inline DNS table's virtual domains). */
  domains: ReadonlyMap<string, DnsRecord>;
  /** Forwarding of every other name (the filter's `client_config`); absent: such names get REFUSED. */
  forward?: {
    /** Whole lookup budget (Envoy's `resolver_timeout`), spread over the upstream servers in turn. */
    timeoutMs: number;
    /** Lookups in flight at once (Envoy's `max_pending_lookups`); a query past it is dropped and counted. */
    maxPending: number;
    /** Upstream servers; empty: the nameservers of /etc/resolv.conf, read when the proxy starts (as the filter does without resolvers). */
    upstreams: DnsAddress[];
  };
}

/** Kuma's name of the DNS listener. */
export const DNS_LISTENER_NAME = 'kuma:dns';
/** Kuma's DNS proxy port (kuma-dp's `--dns-coredns-port`), where `--redirect-dns` sends queries. */
export const DEFAULT_DNS_PORT = 15053;
/** Kuma's `answer_ttl` for virtual domains. */
export const DEFAULT_ANSWER_TTL_S = 30;
/** Envoy's `max_pending_lookups` when the filter sets none. */
export const DEFAULT_MAX_PENDING = 256;
/** Envoy's default `resolver_timeout`. */
export const DEFAULT_RESOLVER_TIMEOUT_MS = 5_000;

/** A mesh name as the table keys it: lower case, no trailing dot. */
export function dnsKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
