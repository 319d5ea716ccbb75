// The dataplane's DNS proxy (port 15053): mesh names from the control plane's table, the rest forwarded.
export { DEFAULT_ANSWER_TTL_S, DEFAULT_DNS_PORT, DNS_LISTENER_NAME, DEFAULT_MAX_PENDING, DEFAULT_RESOLVER_TIMEOUT_MS, dnsKey, type DnsAddress, type DnsProxyConfig, type DnsRecord } from './config.ts';
export { parseResolvConf, systemResolvers } from './resolv-conf.ts';
export { DnsCounters, DnsProxy, MAX_QUERY_BYTES, startDnsProxy, type DnsProxyOptions } from './server.ts';
export { freeVips, isVip, mappedVip, meshDnsNames, VIP_CIDR, VIP_PORT, vipListenerName, vipPorts } from './vips.ts';
