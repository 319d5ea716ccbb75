import { isIP } from 'node:net';
import { ENVOY_FILTERS, ENVOY_TYPES, type EnvoyMessage } from '../xds/envoy-json.ts';
import { duration, fields, int, list, reject, str, typed, type Json } from '../proxy/xds-config/reader.ts';
import { DEFAULT_MAX_PENDING, DEFAULT_RESOLVER_TIMEOUT_MS, dnsKey, type DnsAddress, type DnsProxyConfig, type DnsRecord } from './config.ts';

/**
 * The dataplane's side of the `kuma:dns` Listener (see envoy.ts): a UDP listener whose one listener
 * filter is Envoy's DNS filter becomes the DNS proxy's config. The proxy serves TCP on the same
 * addresses too (as kuma-dp's DNS server does; Envoy's filter is UDP only). What it would not
 * honour — an external table, clusters or SRV services as endpoints, resolver extensions — is
 * refused with the field's path.
 */

/** A Listener is the DNS proxy's when its address is UDP (meshcap's other listeners are all TCP). */
export function isDnsListener(listener: EnvoyMessage): boolean {
  const a = listener['address'] as Json | undefined;
  const s = a?.['socket_address'] as Json | undefined;
  return s?.['protocol'] === 'UDP';
}

/** `resolver`: an upstream's address, where the protocol may be left out (the filter asks over UDP either way). */
function udpAddress(value: unknown, where: string, resolver = false): DnsAddress {
  const a = fields(value, where, ['socket_address']);
  const s = fields(a['socket_address'], `${where}.socket_address`, ['protocol', 'address', 'port_value']);
  if (s['protocol'] !== 'UDP' && !(resolver && s['protocol'] === undefined)) reject(`${where}.socket_address.protocol`, 'must be UDP');
  const address = str(s['address'], `${where}.socket_address.address`);
  if (isIP(address) === 0) reject(`${where}.socket_address.address`, `"${address}" is not an IP address`);
  const port = s['port_value'] === undefined ? 0 : int(s['port_value'], `${where}.socket_address.port_value`);
  if (port < 0 || port > 65535) reject(`${where}.socket_address.port_value`, 'must be 0..65535');
  return { address, port };
}

function virtualDomains(value: unknown, where: string): Map<string, DnsRecord> {
  const out = new Map<string, DnsRecord>();
  list(value, where).forEach((d, i) => {
    const at = `${where}[${i}]`;
    const v = fields(d, at, ['name', 'endpoint', 'answer_ttl']);
    const name = dnsKey(str(v['name'], `${at}.name`));
    if (name === '') reject(`${at}.name`, 'must not be empty');
    if (out.has(name)) reject(`${at}.name`, `"${name}" is listed twice`);
    const e = fields(v['endpoint'], `${at}.endpoint`, ['address_list']);
    if (e['address_list'] === undefined) reject(`${at}.endpoint`, 'needs address_list (meshcap dp answers with addresses, not clusters or services)');
    const al = fields(e['address_list'], `${at}.endpoint.address_list`, ['address']);
    const record: DnsRecord = { a: [], aaaa: [], ttl: 300 };
    const addresses = list(al['address'], `${at}.endpoint.address_list.address`);
    if (addresses.length === 0) reject(`${at}.endpoint.address_list.address`, 'needs at least one address');
    addresses.forEach((x, j) => {
      const address = str(x, `${at}.endpoint.address_list.address[${j}]`);
      const family = isIP(address);
      if (family === 0) reject(`${at}.endpoint.address_list.address[${j}]`, `"${address}" is not an IP address`);
      (family === 4 ? record.a : record.aaaa).push(address);
    });
    // Envoy's default answer TTL is 300 s.
    if (v['answer_ttl'] !== undefined) record.ttl = Math.floor(duration(v['answer_ttl'], `${at}.answer_ttl`).ms / 1000);
    out.set(name, record);
  });
  return out;
}

export function decodeDnsListener(listener: EnvoyMessage, where: string): DnsProxyConfig {
  const l = typed(listener, where, ENVOY_TYPES.listener, ['name', 'address', 'additional_addresses', 'listener_filters']);
  const name = str(l['name'], `${where}.name`);
  const addresses = [udpAddress(l['address'], `${where}.address`)];
  list(l['additional_addresses'], `${where}.additional_addresses`).forEach((x, i) => {
    const at = `${where}.additional_addresses[${i}]`;
    addresses.push(udpAddress(fields(x, at, ['address'])['address'], `${at}.address`));
  });
  const filters = list(l['listener_filters'], `${where}.listener_filters`);
  if (filters.length !== 1) reject(`${where}.listener_filters`, `a UDP listener needs exactly one listener filter, ${ENVOY_FILTERS.dnsFilter}`);
  const f = fields(filters[0], `${where}.listener_filters[0]`, ['name', 'typed_config']);
  if (str(f['name'], `${where}.listener_filters[0].name`) !== ENVOY_FILTERS.dnsFilter) {
    reject(`${where}.listener_filters[0].name`, `"${String(f['name'])}" is not supported on a UDP listener (${ENVOY_FILTERS.dnsFilter})`);
  }
  const at = `${where}.listener_filters[0].typed_config`;
  const c = typed(f['typed_config'], at, ENVOY_TYPES.dnsFilter, ['stat_prefix', 'server_config', 'client_config']);
  const statPrefix = str(c['stat_prefix'], `${at}.stat_prefix`);
  let domains = new Map<string, DnsRecord>();
  if (c['server_config'] !== undefined) {
    const s = fields(c['server_config'], `${at}.server_config`, ['inline_dns_table']);
    if (s['inline_dns_table'] === undefined) reject(`${at}.server_config`, 'needs inline_dns_table (meshcap dp reads no external table)');
    const t = fields(s['inline_dns_table'], `${at}.server_config.inline_dns_table`, ['virtual_domains']);
    domains = virtualDomains(t['virtual_domains'], `${at}.server_config.inline_dns_table.virtual_domains`);
  }
  let forward: DnsProxyConfig['forward'];
  if (c['client_config'] !== undefined) {
    const cc = fields(c['client_config'], `${at}.client_config`, ['resolver_timeout', 'upstream_resolvers', 'max_pending_lookups']);
    const timeoutMs = cc['resolver_timeout'] === undefined ? DEFAULT_RESOLVER_TIMEOUT_MS : duration(cc['resolver_timeout'], `${at}.client_config.resolver_timeout`).ms;
    if (timeoutMs < 1000) reject(`${at}.client_config.resolver_timeout`, 'must be at least 1s');
    const maxPending = cc['max_pending_lookups'] === undefined ? DEFAULT_MAX_PENDING : int(cc['max_pending_lookups'], `${at}.client_config.max_pending_lookups`);
    if (maxPending < 1) reject(`${at}.client_config.max_pending_lookups`, 'must be at least 1');
    const upstreams = list(cc['upstream_resolvers'], `${at}.client_config.upstream_resolvers`).map((u, i) => udpAddress(u, `${at}.client_config.upstream_resolvers[${i}]`, true));
    forward = { timeoutMs, maxPending, upstreams };
  }
  return { name, statPrefix, addresses, domains, forward };
}
