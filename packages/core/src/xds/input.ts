import type { DnsProxyConfig } from '../dns/config.ts';
import type { DataplanePolicies } from '../policy/index.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';

/**
 * What a config dump is built from: the listeners and clusters the proxy runs (the shape of
 * `compileProxyConfig` in proxy/config.ts, declared here structurally so xds reads that output
 * without depending on the proxy's internals) and the policy engine's compiled config
 * (`DataplanePolicies`: the enabled policies' confs per inbound and outbound).
 */

export interface XdsEndpoint {
  address: string;
  port: number;
}

export interface XdsCluster {
  name: string;
  /** The name in stats (`localhost:5000` → `localhost_5000`); Envoy's `alt_stat_name` when it differs. */
  statName: string;
  /** `static`: fixed endpoints; `original_dst`: wherever the client was going; `service`: a mesh service's endpoints. */
  kind: 'static' | 'original_dst' | 'service';
  endpoints: readonly XdsEndpoint[];
  /** Connects from 127.0.0.6 / ::6 (Kuma's inbound source address, never captured again). */
  inboundSource: boolean;
  /** TPROXY inbound: connects from the client's own address (Envoy's original_src). */
  transparentSource: boolean;
  /** A MeshHTTPRoute/MeshTCPRoute backend (a subset): with no endpoints it has none, never the original destination. */
  routeBackend?: boolean;
  /** The upstream speaks HTTP/2 (Kuma's `http2`/`grpc` services): `explicit_http_config.http2_protocol_options`. */
  http2?: { maxConcurrentStreams?: number; initialStreamWindowSize?: number; initialConnectionWindowSize?: number };
}

export interface XdsListener {
  /** `inbound:passthrough:ipv4`, `inbound:10.244.0.6:5000`, `outbound:127.0.0.1:8080`. */
  name: string;
  statName: string;
  direction: 'inbound' | 'outbound';
  address: string;
  port: number;
  /** False: reached by hand-off from a capture listener (Envoy `bind_to_port: false`). */
  bind: boolean;
  useOriginalDst: boolean;
  /** IP_TRANSPARENT (TPROXY inbound). */
  transparent: boolean;
  protocol: 'tcp' | 'http';
  cluster: XdsCluster;
  httpStatPrefix: string;
  /** Kuma's protocol when `http2` or `grpc` (gRPC routes take MeshRetry's `grpc` section, as Kuma renders them). */
  appProtocol?: 'http2' | 'grpc';
  service?: string;
  tags: Readonly<Record<string, string>>;
}

export interface XdsProxyConfig {
  version: string;
  mesh: string;
  dataplane: string;
  transparent: boolean;
  inboundMode: 'redirect' | 'tproxy';
  listeners: readonly XdsListener[];
  clusters: readonly XdsCluster[];
  /** The DNS proxy, rendered as the `kuma:dns` listener. */
  dns?: DnsProxyConfig;
}

export interface ConfigDumpInput {
  config: XdsProxyConfig;
  /** The policy engine's compiled config of this dataplane; its inbounds/outbounds are matched to listeners by name. */
  policies?: DataplanePolicies;
  /** `version_info`; default `policies.version.versionInfo`, then `config.version`, then a hash of the content. */
  version?: string;
  /** When this version was applied (`last_updated` of what changed in it); default `policies.version.updatedAt`, then now. */
  updatedAt?: Date | string;
  /** The dump of the previous version: resources that did not change keep their `version_info` and `last_updated`, as in Envoy. */
  previous?: EnvoyConfigDump;
  /** The dataplane admin address (Envoy `admin.address`); default 127.0.0.1:9901. */
  admin?: XdsEndpoint;
  /** `inline` (Kuma: route_config inside each HttpConnectionManager) or `rds` (separate RouteConfigurations). Default inline. */
  routes?: 'inline' | 'rds';
  /** `static`: service clusters carry their endpoints (default); `eds`: as the ADS server sends them (EDS clusters, endpoints under `include_eds`). */
  endpoints?: 'static' | 'eds';
  /** SO_MARK the proxy puts on TPROXY upstream connections (original_src `mark`). */
  tproxyMark?: number;
  /** Connect timeout when no MeshTimeout sets one; Envoy's default 5s. */
  defaultConnectTimeout?: string;
}
