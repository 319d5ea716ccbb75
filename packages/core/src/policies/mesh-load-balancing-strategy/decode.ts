import { bool, fields, int, list, optStr, reject, str, type Json } from '../../proxy/xds-config/reader.ts';

/**
 * The load balancer of a cluster (`lb_policy` and its config) and the hash policies of a route or
 * tcp_proxy, read back into what `balancer.ts` runs.
 */

export type LoadBalancerPolicy = 'round_robin' | 'least_request' | 'random' | 'ring_hash' | 'maglev';

export interface LoadBalancerConfig {
  policy: LoadBalancerPolicy;
  /** LEAST_REQUEST: hosts sampled per pick (Envoy's default 2). */
  choiceCount?: number;
  /** RING_HASH: entries on the ring (Envoy's defaults 1024 and 8M; meshcap builds minimum_ring_size). */
  minRingSize?: number;
  /** MAGLEV: lookup table size, a prime (Envoy's default 65537). */
  tableSize?: number;
}

export type HashPolicyConfig = { kind: 'header'; name: string; terminal: boolean } | { kind: 'sourceIp'; terminal: boolean } | { kind: 'query'; name: string; terminal: boolean };

const POLICIES: Record<string, LoadBalancerPolicy> = { ROUND_ROBIN: 'round_robin', LEAST_REQUEST: 'least_request', RANDOM: 'random', RING_HASH: 'ring_hash', MAGLEV: 'maglev' };

/** The cluster's balancer; `c` holds the cluster's fields (lb_policy, least_request_lb_config, ring_hash_lb_config, maglev_lb_config). */
export function decodeLoadBalancer(c: Json, where: string): LoadBalancerConfig | undefined {
  const name = optStr(c['lb_policy'], `${where}.lb_policy`) ?? 'ROUND_ROBIN';
  const policy = POLICIES[name];
  if (!policy) reject(`${where}.lb_policy`, `"${name}" is not supported (${Object.keys(POLICIES).join(', ')})`);
  const only = (field: string, p: LoadBalancerPolicy): void => {
    if (c[field] !== undefined && policy !== p) reject(`${where}.${field}`, `is only used with lb_policy ${Object.keys(POLICIES).find((k) => POLICIES[k] === p)}`);
  };
  only('least_request_lb_config', 'least_request');
  only('ring_hash_lb_config', 'ring_hash');
  only('maglev_lb_config', 'maglev');
  const out: LoadBalancerConfig = { policy };
  if (c['least_request_lb_config'] !== undefined) {
    const l = fields(c['least_request_lb_config'], `${where}.least_request_lb_config`, ['choice_count']);
    if (l['choice_count'] !== undefined) out.choiceCount = int(l['choice_count'], `${where}.least_request_lb_config.choice_count`);
  }
  if (c['ring_hash_lb_config'] !== undefined) {
    const at = `${where}.ring_hash_lb_config`;
    const r = fields(c['ring_hash_lb_config'], at, ['minimum_ring_size', 'maximum_ring_size', 'hash_function']);
    // The ring is built with minimum_ring_size entries; the hash function only changes where keys land, not the balance.
    if (r['minimum_ring_size'] !== undefined) out.minRingSize = int(r['minimum_ring_size'], `${at}.minimum_ring_size`);
    if (r['maximum_ring_size'] !== undefined) int(r['maximum_ring_size'], `${at}.maximum_ring_size`);
    const fn = optStr(r['hash_function'], `${at}.hash_function`);
    if (fn !== undefined && fn !== 'XX_HASH' && fn !== 'MURMUR_HASH_2') reject(`${at}.hash_function`, `"${fn}" is not XX_HASH or MURMUR_HASH_2`);
    if ((out.minRingSize ?? 1) < 1 || (out.minRingSize ?? 0) > 8_388_608) reject(`${at}.minimum_ring_size`, 'must be 1..8388608');
  }
  if (c['maglev_lb_config'] !== undefined) {
    const m = fields(c['maglev_lb_config'], `${where}.maglev_lb_config`, ['table_size']);
    if (m['table_size'] !== undefined) out.tableSize = int(m['table_size'], `${where}.maglev_lb_config.table_size`);
    if ((out.tableSize ?? 1) < 1 || (out.tableSize ?? 0) > 5_000_011) reject(`${where}.maglev_lb_config.table_size`, 'must be 1..5000011');
  }
  return policy === 'round_robin' && c['lb_policy'] === undefined ? undefined : out;
}

/** A RouteAction's `hash_policy`. */
export function decodeRouteHashPolicy(value: unknown, where: string): HashPolicyConfig[] {
  return list(value, where).map((v, i) => {
    const at = `${where}[${i}]`;
    const h = fields(v, at, ['header', 'connection_properties', 'query_parameter', 'terminal']);
    const terminal = h['terminal'] === undefined ? false : bool(h['terminal'], `${at}.terminal`);
    const kinds = ['header', 'connection_properties', 'query_parameter'].filter((k) => h[k] !== undefined);
    if (kinds.length !== 1) reject(at, 'needs exactly one of header, connection_properties, query_parameter');
    if (h['header'] !== undefined) return { kind: 'header', name: str(fields(h['header'], `${at}.header`, ['header_name'])['header_name'], `${at}.header.header_name`).toLowerCase(), terminal };
    if (h['query_parameter'] !== undefined) return { kind: 'query', name: str(fields(h['query_parameter'], `${at}.query_parameter`, ['name'])['name'], `${at}.query_parameter.name`), terminal };
    const cp = fields(h['connection_properties'], `${at}.connection_properties`, ['source_ip']);
    if (cp['source_ip'] !== true) reject(`${at}.connection_properties.source_ip`, 'must be true');
    return { kind: 'sourceIp', terminal };
  });
}

/** A TcpProxy's `hash_policy`: only `source_ip` (what a TCP connection has). */
export function decodeTcpHashPolicy(value: unknown, where: string): HashPolicyConfig[] | undefined {
  const out = list(value, where).map((v, i): HashPolicyConfig => {
    const h = fields(v, `${where}[${i}]`, ['source_ip']);
    fields(h['source_ip'], `${where}[${i}].source_ip`, []);
    return { kind: 'sourceIp', terminal: false };
  });
  return out.length > 0 ? out : undefined;
}
