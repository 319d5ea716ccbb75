import { compact, durationFromMs, ENVOY_FILTERS, ENVOY_TYPES, packAny, typedExtension, type EnvoyMessage } from '../xds/envoy-json.ts';
import type { DnsAddress, DnsProxyConfig } from './config.ts';

/**
 * The DNS proxy as an Envoy Listener, the way Kuma renders its `kuma:dns` listener: UDP on the
 * proxy's addresses (the first as `address`, the others as `additional_addresses`), and Envoy's
 * `envoy.filters.udp.dns_filter` with the mesh names inline (`virtual_domains`, A and AAAA
 * addresses in one `address_list`) and a `client_config` for every other name. The client config
 * names no resolvers: like the filter, the proxy then uses the namespace's /etc/resolv.conf.
 */

function udpAddress(a: DnsAddress): EnvoyMessage {
  return { socket_address: { protocol: 'UDP', address: a.address, port_value: a.port } };
}

export function dnsListener(dns: DnsProxyConfig): EnvoyMessage | undefined {
  const [first, ...more] = dns.addresses;
  if (!first) return undefined;
  const domains = [...dns.domains].map(([name, r]) => ({
    name,
    endpoint: { address_list: { address: [...r.a, ...r.aaaa] } },
    answer_ttl: durationFromMs(r.ttl * 1000),
  }));
  const f = dns.forward;
  const filter = compact({
    stat_prefix: dns.statPrefix,
    server_config: { inline_dns_table: compact({ virtual_domains: domains.length > 0 ? domains : undefined }) },
    client_config: f
      ? compact({
          resolver_timeout: durationFromMs(f.timeoutMs),
          upstream_resolvers: f.upstreams.length > 0 ? f.upstreams.map(udpAddress) : undefined,
          max_pending_lookups: String(f.maxPending),
        })
      : undefined,
  });
  return packAny(
    ENVOY_TYPES.listener,
    compact({
      name: dns.name,
      address: udpAddress(first),
      listener_filters: [typedExtension(ENVOY_FILTERS.dnsFilter, ENVOY_TYPES.dnsFilter, filter)],
      additional_addresses: more.length > 0 ? more.map((a) => ({ address: udpAddress(a) })) : undefined,
    }),
  );
}
