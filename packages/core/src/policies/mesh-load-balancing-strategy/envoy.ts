import { compact, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { HashPolicy, MeshLoadBalancingStrategyConf } from './schema.ts';

/**
 * MeshLoadBalancingStrategy as Kuma renders it: the cluster's `lb_policy` and its config
 * (`least_request_lb_config`, `ring_hash_lb_config`, `maglev_lb_config`), and for the hashing
 * balancers the `hash_policy` of the routes (HTTP) or of the tcp_proxy (TCP: source IP only).
 */

const LB_POLICY = { RoundRobin: undefined, LeastRequest: 'LEAST_REQUEST', Random: 'RANDOM', RingHash: 'RING_HASH', Maglev: 'MAGLEV' } as const;

/** The cluster fields; empty for RoundRobin (Envoy's default) or no policy. */
export function clusterLoadBalancing(conf: MeshLoadBalancingStrategyConf | undefined): EnvoyMessage {
  const lb = conf?.loadBalancer;
  if (!lb) return {};
  return compact({
    lb_policy: LB_POLICY[lb.type],
    least_request_lb_config: lb.type === 'LeastRequest' && lb.leastRequest?.choiceCount !== undefined ? { choice_count: lb.leastRequest.choiceCount } : undefined,
    // UInt64Value fields print as strings in proto3 JSON.
    ring_hash_lb_config:
      lb.type === 'RingHash' && lb.ringHash && (lb.ringHash.minRingSize !== undefined || lb.ringHash.maxRingSize !== undefined || lb.ringHash.hashFunction !== undefined)
        ? compact({
            minimum_ring_size: lb.ringHash.minRingSize === undefined ? undefined : String(lb.ringHash.minRingSize),
            maximum_ring_size: lb.ringHash.maxRingSize === undefined ? undefined : String(lb.ringHash.maxRingSize),
            hash_function: lb.ringHash.hashFunction === 'MurmurHash2' ? 'MURMUR_HASH_2' : undefined,
          })
        : undefined,
    maglev_lb_config: lb.type === 'Maglev' && lb.maglev?.tableSize !== undefined ? { table_size: String(lb.maglev.tableSize) } : undefined,
  });
}

function hashPoliciesOf(conf: MeshLoadBalancingStrategyConf | undefined): HashPolicy[] {
  const lb = conf?.loadBalancer;
  if (lb?.type === 'RingHash') return lb.ringHash?.hashPolicies ?? [];
  if (lb?.type === 'Maglev') return lb.maglev?.hashPolicies ?? [];
  return [];
}

/** RouteAction `hash_policy`; undefined when the balancer does not hash. */
export function routeHashPolicy(conf: MeshLoadBalancingStrategyConf | undefined): EnvoyMessage[] | undefined {
  const out = hashPoliciesOf(conf).map((h) =>
    compact({
      header: h.type === 'Header' ? { header_name: h.header!.name } : undefined,
      connection_properties: h.type === 'Connection' ? { source_ip: true } : undefined,
      query_parameter: h.type === 'QueryParameter' ? { name: h.queryParameter!.name } : undefined,
      terminal: h.terminal || undefined,
    }),
  );
  return out.length > 0 ? out : undefined;
}

/** TcpProxy `hash_policy`: a TCP connection has only its source address to hash. */
export function tcpHashPolicy(conf: MeshLoadBalancingStrategyConf | undefined): EnvoyMessage[] | undefined {
  return hashPoliciesOf(conf).some((h) => h.type === 'Connection') ? [{ source_ip: {} }] : undefined;
}
