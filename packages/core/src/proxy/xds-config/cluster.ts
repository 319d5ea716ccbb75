import { isIP } from 'node:net';
import { durationToMs } from '../../model/index.ts';
import { ENVOY_FILTERS, ENVOY_TYPES, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { statName, type ClusterConfig, type Http2Options, type UpstreamEndpoint } from '../config.ts';
import { decodeHttp2Options } from '../http2/options.ts';
import { INBOUND_SOURCE_V4, INBOUND_SOURCE_V6 } from '../upstream.ts';
import { decodeCircuitBreakers, decodeOutlierDetection } from '../../policies/mesh-circuit-breaker/decode.ts';
import { decodeHealthChecks } from '../../policies/mesh-health-check/decode.ts';
import { decodeLoadBalancer } from '../../policies/mesh-load-balancing-strategy/decode.ts';
import { duration, fields, int, list, optStr, reject, str, typed } from './reader.ts';

/**
 * Clusters and their endpoints as the engine runs them: STATIC (`load_assignment`), EDS (the
 * ClusterLoadAssignment of the same name among the received endpoints) and ORIGINAL_DST, with
 * their circuit breakers, outlier detection and active health checks (decoded by the policy
 * folders that render them).
 */

/** A SocketAddress (`{socket_address: {address, port_value}}`). */
export function socketAddressOf(value: unknown, where: string): UpstreamEndpoint {
  const a = fields(value, where, ['socket_address']);
  const s = fields(a['socket_address'], `${where}.socket_address`, ['address', 'port_value']);
  const address = str(s['address'], `${where}.socket_address.address`);
  if (isIP(address) === 0) reject(`${where}.socket_address.address`, `"${address}" is not an IP address (meshcap dp resolves no names)`);
  const port = s['port_value'] === undefined ? 0 : int(s['port_value'], `${where}.socket_address.port_value`);
  if (port < 0 || port > 65535) reject(`${where}.socket_address.port_value`, 'must be 0..65535');
  return { address, port };
}

/** The endpoints of a ClusterLoadAssignment (or of a cluster's `load_assignment`). */
export function loadAssignmentEndpoints(value: unknown, where: string, clusterName: string): UpstreamEndpoint[] {
  const la = fields(value, where, ['cluster_name', 'endpoints']);
  const name = optStr(la['cluster_name'], `${where}.cluster_name`);
  if (name !== undefined && name !== clusterName) reject(`${where}.cluster_name`, `is "${name}", expected "${clusterName}"`);
  return list(la['endpoints'], `${where}.endpoints`).flatMap((loc, i) => {
    const at = `${where}.endpoints[${i}]`;
    const l = fields(loc, at, ['lb_endpoints']);
    return list(l['lb_endpoints'], `${at}.lb_endpoints`).map((lb, j) => {
      const e = fields(lb, `${at}.lb_endpoints[${j}]`, ['endpoint']);
      const ep = fields(e['endpoint'], `${at}.lb_endpoints[${j}].endpoint`, ['address']);
      return socketAddressOf(ep['address'], `${at}.lb_endpoints[${j}].endpoint.address`);
    });
  });
}

/** What a cluster's HttpProtocolOptions set: HTTP/1.1 or HTTP/2, the upstream idle timeout, connection age and request duration bounds (the rest is refused). */
function httpProtocolOptions(value: unknown, where: string): Pick<ClusterConfig, 'idleTimeoutMs' | 'maxConnectionDurationMs' | 'maxStreamDurationMs' | 'http2'> {
  const o = fields(value, where, [ENVOY_FILTERS.httpProtocolOptions]);
  const at = `${where}["${ENVOY_FILTERS.httpProtocolOptions}"]`;
  const p = typed(o[ENVOY_FILTERS.httpProtocolOptions], at, ENVOY_TYPES.httpProtocolOptions, ['common_http_protocol_options', 'explicit_http_config']);
  let http2: Http2Options | undefined;
  if (p['explicit_http_config'] !== undefined) {
    const e = fields(p['explicit_http_config'], `${at}.explicit_http_config`, ['http_protocol_options', 'http2_protocol_options']);
    if ((e['http_protocol_options'] === undefined) === (e['http2_protocol_options'] === undefined)) reject(`${at}.explicit_http_config`, 'needs exactly one of http_protocol_options or http2_protocol_options');
    if (e['http_protocol_options'] !== undefined) fields(e['http_protocol_options'], `${at}.explicit_http_config.http_protocol_options`, []);
    else http2 = decodeHttp2Options(e['http2_protocol_options'], `${at}.explicit_http_config.http2_protocol_options`);
  }
  const out: ReturnType<typeof httpProtocolOptions> = http2 ? { http2 } : {};
  if (p['common_http_protocol_options'] === undefined) return out;
  const cat = `${at}.common_http_protocol_options`;
  const c = fields(p['common_http_protocol_options'], cat, ['idle_timeout', 'max_connection_duration', 'max_stream_duration']);
  if (c['idle_timeout'] !== undefined) out.idleTimeoutMs = duration(c['idle_timeout'], `${cat}.idle_timeout`).ms;
  // 0s means no bound, as in Envoy.
  const connectionMs = c['max_connection_duration'] === undefined ? 0 : duration(c['max_connection_duration'], `${cat}.max_connection_duration`).ms;
  if (connectionMs > 0) out.maxConnectionDurationMs = connectionMs;
  const streamMs = c['max_stream_duration'] === undefined ? 0 : duration(c['max_stream_duration'], `${cat}.max_stream_duration`).ms;
  if (streamMs > 0) out.maxStreamDurationMs = streamMs;
  return out;
}

/** `where` names the resource, e.g. `Cluster "backend"`. */
export function decodeCluster(cluster: EnvoyMessage, where: string, endpointsByName: ReadonlyMap<string, EnvoyMessage>): ClusterConfig {
  const c = typed(cluster, where, ENVOY_TYPES.cluster, [
    'name', 'type', 'eds_cluster_config', 'connect_timeout', 'lb_policy', 'upstream_bind_config', 'alt_stat_name', 'load_assignment', 'typed_extension_protocol_options',
    'circuit_breakers', 'outlier_detection', 'health_checks', 'common_lb_config', 'least_request_lb_config', 'ring_hash_lb_config', 'maglev_lb_config',
  ]);
  const name = str(c['name'], `${where}.name`);
  const type = optStr(c['type'], `${where}.type`) ?? 'STATIC';
  const lb = optStr(c['lb_policy'], `${where}.lb_policy`) ?? 'ROUND_ROBIN';
  let kind: ClusterConfig['kind'];
  let loadBalancer: ClusterConfig['loadBalancer'];
  let endpoints: UpstreamEndpoint[] = [];
  if (type === 'ORIGINAL_DST') {
    if (lb !== 'CLUSTER_PROVIDED') reject(`${where}.lb_policy`, 'must be CLUSTER_PROVIDED for an ORIGINAL_DST cluster');
    if (c['load_assignment'] !== undefined) reject(`${where}.load_assignment`, 'an ORIGINAL_DST cluster has no endpoints');
    kind = 'original_dst';
  } else if (type === 'STATIC' || type === 'EDS') {
    loadBalancer = decodeLoadBalancer(c, where);
    if (type === 'STATIC') {
      if (c['eds_cluster_config'] !== undefined) reject(`${where}.eds_cluster_config`, 'is for EDS clusters');
      endpoints = c['load_assignment'] === undefined ? [] : loadAssignmentEndpoints(c['load_assignment'], `${where}.load_assignment`, name);
      kind = 'static';
    } else {
      if (c['load_assignment'] !== undefined) reject(`${where}.load_assignment`, 'an EDS cluster gets its endpoints from EDS');
      const eds = fields(c['eds_cluster_config'] ?? {}, `${where}.eds_cluster_config`, ['eds_config', 'service_name']);
      const serviceName = optStr(eds['service_name'], `${where}.eds_cluster_config.service_name`) ?? name;
      const cla = endpointsByName.get(serviceName);
      // Envoy keeps such a cluster warming; applying it with no endpoints would answer as if the service had none.
      if (!cla) reject(`${where}.eds_cluster_config`, `no ClusterLoadAssignment "${serviceName}" among the endpoints received`);
      endpoints = loadAssignmentEndpoints(cla, `ClusterLoadAssignment "${serviceName}"`, serviceName);
      // `service` would fall back to the original destination with no endpoints; Envoy answers "no healthy upstream".
      kind = endpoints.length > 0 ? 'service' : 'static';
    }
  } else {
    reject(`${where}.type`, `"${type}" is not supported (STATIC, EDS or ORIGINAL_DST)`);
  }
  let inboundSource = false;
  if (c['upstream_bind_config'] !== undefined) {
    const b = fields(c['upstream_bind_config'], `${where}.upstream_bind_config`, ['source_address']);
    const src = fields(b['source_address'], `${where}.upstream_bind_config.source_address`, ['address', 'port_value']);
    const address = str(src['address'], `${where}.upstream_bind_config.source_address.address`);
    if (address !== INBOUND_SOURCE_V4 && address !== INBOUND_SOURCE_V6) reject(`${where}.upstream_bind_config.source_address.address`, `only ${INBOUND_SOURCE_V4} and ${INBOUND_SOURCE_V6} (Kuma's inbound source) are supported`);
    if (src['port_value'] !== undefined && int(src['port_value'], `${where}.upstream_bind_config.source_address.port_value`) !== 0) reject(`${where}.upstream_bind_config.source_address.port_value`, 'must be 0');
    inboundSource = true;
  }
  const connectTimeout = c['connect_timeout'] === undefined ? '5s' : duration(c['connect_timeout'], `${where}.connect_timeout`).text;
  const alt = optStr(c['alt_stat_name'], `${where}.alt_stat_name`);
  const http = c['typed_extension_protocol_options'] === undefined ? {} : httpProtocolOptions(c['typed_extension_protocol_options'], `${where}.typed_extension_protocol_options`);
  if (kind === 'original_dst' && c['outlier_detection'] !== undefined) reject(`${where}.outlier_detection`, 'an ORIGINAL_DST cluster has no endpoints to eject');
  if (kind === 'original_dst' && c['health_checks'] !== undefined) reject(`${where}.health_checks`, 'an ORIGINAL_DST cluster has no endpoints to check');
  let panicThresholdPercent: number | undefined;
  if (c['common_lb_config'] !== undefined) {
    const lbc = fields(c['common_lb_config'], `${where}.common_lb_config`, ['healthy_panic_threshold']);
    const p = fields(lbc['healthy_panic_threshold'] ?? {}, `${where}.common_lb_config.healthy_panic_threshold`, ['value']);
    const v = p['value'] ?? 0;
    if (typeof v !== 'number' || v < 0 || v > 100) reject(`${where}.common_lb_config.healthy_panic_threshold.value`, 'must be a number from 0 to 100');
    panicThresholdPercent = v;
  }
  return {
    name,
    statName: alt ?? statName(name),
    kind,
    endpoints,
    inboundSource,
    transparentSource: false,
    connectTimeoutMs: durationToMs(connectTimeout),
    ...http,
    limits: c['circuit_breakers'] === undefined ? undefined : decodeCircuitBreakers(c['circuit_breakers'], `${where}.circuit_breakers`),
    outlierDetection: c['outlier_detection'] === undefined ? undefined : decodeOutlierDetection(c['outlier_detection'], `${where}.outlier_detection`),
    healthCheck: decodeHealthChecks(c['health_checks'], `${where}.health_checks`, name),
    panicThresholdPercent,
    ...(loadBalancer ? { loadBalancer } : {}),
  };
}
