import type { ConnectionLimits, OutlierDetectionConfig } from '../policies/mesh-circuit-breaker/decode.ts';
import type { HealthCheckConfig } from '../policies/mesh-health-check/checker.ts';
import type { LoadBalancerConfig } from '../policies/mesh-load-balancing-strategy/decode.ts';
import type { DecodedRoutes } from '../policies/mesh-http-route/decode.ts';
import type { TcpRouteConfig } from '../policies/mesh-tcp-route/split.ts';
import { DEFAULT_ANSWER_TTL_S, DEFAULT_DNS_PORT, DEFAULT_MAX_PENDING, DEFAULT_RESOLVER_TIMEOUT_MS, DNS_LISTENER_NAME, type DnsProxyConfig, type DnsRecord } from '../dns/config.ts';
import { mappedVip, meshDnsNames, vipListenerName, vipPorts } from '../dns/vips.ts';
import { MeshcapError, type ErrorIssue } from '../errors.ts';
import type { TlsSocketConfig } from './tls/decode.ts';
import type { CaptureKind, FlowDirection } from '../flows/index.ts';
import {
  canonicalAddress,
  DEFAULT_REDIRECT_PORT_INBOUND,
  DEFAULT_REDIRECT_PORT_OUTBOUND,
  inboundAddress,
  inboundListenerName,
  isTransparent,
  outboundListenerName,
  protocolOf,
  SERVICE_TAG,
  serviceOf,
  type Dataplane,
  type DataplaneInbound,
  type DataplaneOutbound,
} from '../model/index.ts';

export interface UpstreamEndpoint {
  address: string;
  port: number;
}

/** What the proxy knows about a mesh service: where its instances listen and what they speak. */
export interface ServiceInfo {
  endpoints: UpstreamEndpoint[];
  /** `http2` and `grpc` services are reached over HTTP/2 (h2c). */
  protocol: 'tcp' | 'http' | 'http2' | 'grpc';
  /** The service's virtual IP (from the control plane): transparent dataplanes get `<service>.mesh` and VIP listeners for it. */
  vip?: string;
}

/** The protocol a service is reached with, from its Kuma protocol (kafka and unknown ones: TCP). */
export function serviceProtocol(protocol: string): ServiceInfo['protocol'] {
  return protocol === 'http' || protocol === 'http2' || protocol === 'grpc' ? protocol : 'tcp';
}

/** Services by `kuma.io/service` name; how outbound listeners find their upstreams. */
export type ServiceDirectory = ReadonlyMap<string, ServiceInfo>;

/**
 * Clusters, Envoy style:
 * - `static`: one fixed endpoint (an inbound's application, `localhost:5000`);
 * - `original_dst`: wherever the client was going (the passthrough clusters);
 * - `service`: a mesh service's endpoints, round-robin; in transparent mode, with none known, the
 *   original destination (the client called the service's address, so that is where it lives).
 */
export interface ClusterConfig {
  name: string;
  /** The name as it appears in stats: `localhost:5000` → `localhost_5000`. */
  statName: string;
  kind: 'static' | 'original_dst' | 'service';
  endpoints: UpstreamEndpoint[];
  /**
   * Inbound clusters under transparent proxying connect from 127.0.0.6 / ::6, which the capture
   * rules return early for, so the proxy's own connection to the app is never captured again.
   */
  inboundSource: boolean;
  /** TPROXY inbound: connect from the client's own address so the application sees it. */
  transparentSource: boolean;
  /** Pooled upstream HTTP connections unused this long are closed (Envoy's cluster `idle_timeout`; 0 never); default 60 s. */
  idleTimeoutMs?: number;
  /** Upstream connect timeout (Envoy's cluster `connect_timeout`); default the engine's. A MeshTimeout pass may still change it per connection. */
  connectTimeoutMs?: number;
  /** Envoy's `circuit_breakers` (MeshCircuitBreaker connectionLimits); Envoy's defaults when unset. */
  limits?: ConnectionLimits;
  /** Envoy's `outlier_detection` (MeshCircuitBreaker outlierDetection). */
  outlierDetection?: OutlierDetectionConfig;
  /** Envoy's `health_checks` (MeshHealthCheck). */
  healthCheck?: HealthCheckConfig;
  /** A request to this cluster may last this long (its HttpProtocolOptions `max_stream_duration`); unset: no bound. */
  maxStreamDurationMs?: number;
  /** A pooled upstream connection is not reused once this old (`max_connection_duration`); unset: no bound. */
  maxConnectionDurationMs?: number;
  /** Below this share of healthy hosts the balancer uses them all (Envoy's `healthy_panic_threshold`, default 50; 0 disables). */
  panicThresholdPercent?: number;
  /** The balancer (MeshLoadBalancingStrategy: Envoy's `lb_policy` and its config); unset: round robin. */
  loadBalancer?: LoadBalancerConfig;
  /** Mesh service under mTLS: connections originate TLS (UpstreamTlsContext). */
  tls?: TlsSocketConfig;
  /** The upstream speaks HTTP/2 with prior knowledge (Envoy's HttpProtocolOptions `explicit_http_config.http2_protocol_options`). */
  http2?: Http2Options;
}

/** Envoy's Http2ProtocolOptions as meshcap dp honours them; unset values keep the engine's bounds (see proxy/http2). */
export interface Http2Options {
  maxConcurrentStreams?: number;
  initialStreamWindowSize?: number;
  initialConnectionWindowSize?: number;
}

export type ListenerProtocol = 'tcp' | 'http';
/**
 * Envoy's HttpConnectionManager `codec_type`: `auto` tells HTTP/2 (the client's connection preface)
 * from HTTP/1.1 on each connection; `http1`/`http2` speak only that.
 */
export type HttpCodec = 'auto' | 'http1' | 'http2';

export interface ListenerConfig {
  /** Envoy/Kuma name: `inbound:passthrough:ipv4`, `inbound:198.18.0.10:5000`, `outbound:127.0.0.1:8080`. */
  name: string;
  statName: string;
  direction: FlowDirection;
  address: string;
  port: number;
  /** False: the listener owns no socket and gets connections handed off by a capture listener (Envoy `bind_to_port: false`). */
  bind: boolean;
  /** A capture listener (15006/15001): reads each connection's original destination and hands it off. */
  useOriginalDst: boolean;
  /** Listen with IP_TRANSPARENT (TPROXY inbound). */
  transparent: boolean;
  capture: CaptureKind;
  protocol: ListenerProtocol;
  cluster: ClusterConfig;
  /** Prefix of the `http.<prefix>.*` stats for HTTP listeners (Kuma uses the cluster name). */
  httpStatPrefix: string;
  /** HTTP listeners: the codec (default `auto`) and HTTP/2 settings (the HCM's `http2_protocol_options`). */
  codec?: HttpCodec;
  http2?: Http2Options;
  /** Kuma's protocol when it is `http2` or `grpc` (an HTTP listener whose upstream is HTTP/2; gRPC takes MeshRetry's `grpc` section). */
  appProtocol?: 'http2' | 'grpc';
  service?: string;
  tags: Readonly<Record<string, string>>;
  /** Index of the inbound/outbound this listener serves in the Dataplane resource. */
  index?: number;
  /** MeshHTTPRoute (or a hashing balancer): the routes a request is matched against, from the Envoy route configuration. */
  httpRoutes?: DecodedRoutes & { policy?: string };
  /** MeshTCPRoute (or a hashing balancer): the clusters a connection is split over. */
  tcpRoute?: TcpRouteConfig & { policy?: string };
  /** mTLS inbound (DownstreamTlsContext): STRICT terminates every connection; `permissive` lets plaintext in too. */
  mtls?: { tls: TlsSocketConfig; permissive: boolean };
}

export interface ProxyConfig {
  version: string;
  mesh: string;
  dataplane: string;
  transparent: boolean;
  inboundMode: 'redirect' | 'tproxy';
  ipv6: boolean;
  listeners: ListenerConfig[];
  clusters: ClusterConfig[];
  /** The DNS proxy (transparent mode: the `kuma:dns` listener). */
  dns?: DnsProxyConfig;
}

export interface CompileOptions {
  version?: string;
  services?: ServiceDirectory;
}

/** Envoy writes `:` as `_` in stat names. */
export function statName(name: string): string {
  return name.replaceAll(':', '_');
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/**
 * Kuma names inbound clusters after the application's port (`localhost:5000`); an application on a
 * non-loopback address gets that address in the name, so two inbounds sharing a port never share
 * an endpoint.
 */
export function inboundClusterName(serviceAddress: string, servicePort: number): string {
  const loopback = serviceAddress === '127.0.0.1' || serviceAddress === '::1';
  const host = loopback ? 'localhost' : serviceAddress.includes(':') ? `[${serviceAddress}]` : serviceAddress;
  return `${host}:${servicePort}`;
}

function httpOr(tags: Record<string, string> | undefined): ListenerProtocol | undefined {
  const p = tags?.['kuma.io/protocol'];
  if (p === undefined) return undefined;
  // kafka has no codec here: relayed as TCP (bytes pass through unchanged).
  return serviceProtocol(protocolOf(tags)) === 'tcp' ? 'tcp' : 'http';
}

/** `http2`/`grpc` of a Kuma protocol, else undefined. */
function h2Protocol(p: string | undefined): 'http2' | 'grpc' | undefined {
  return p === 'http2' || p === 'grpc' ? p : undefined;
}

/**
 * Services of a mesh, from its Dataplanes: every inbound tagged `kuma.io/service: X` is an endpoint
 * of X at the inbound's address and port (what a client calls). A service is http when its
 * inbounds say so.
 */
export function serviceDirectory(dataplanes: readonly Dataplane[]): Map<string, ServiceInfo> {
  const out = new Map<string, ServiceInfo>();
  for (const dp of dataplanes) {
    for (const ib of dp.networking.inbound) {
      const service = serviceOf(ib.tags);
      if (!service) continue;
      const info: ServiceInfo = out.get(service) ?? { endpoints: [], protocol: 'tcp' };
      info.endpoints.push({ address: inboundAddress(dp, ib), port: ib.port });
      const p = serviceProtocol(protocolOf(ib.tags));
      if (p !== 'tcp') info.protocol = p;
      out.set(service, info);
    }
  }
  return out;
}

function cluster(name: string, kind: ClusterConfig['kind'], endpoints: UpstreamEndpoint[], inboundSource: boolean, transparentSource = false): ClusterConfig {
  return { name, statName: statName(name), kind, endpoints, inboundSource, transparentSource };
}

function fail(message: string, issues: ErrorIssue[]): never {
  throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * The listeners and clusters a dataplane runs, from its Dataplane resource (as Kuma's control
 * plane generates them for Envoy). Throws MESHCAP_ERR_INVALID_RESOURCE naming the field when two
 * listeners would collide.
 */
export function compileProxyConfig(dp: Dataplane, opts: CompileOptions = {}): ProxyConfig {
  const transparent = isTransparent(dp);
  const tp = dp.networking.transparentProxying;
  const inboundMode = tp?.inboundMode ?? 'redirect';
  const family = (tp?.ipFamilyMode ?? 'dualstack').toLowerCase();
  const ipv4 = family !== 'ipv6';
  const ipv6 = family !== 'ipv4';
  const listeners: ListenerConfig[] = [];
  const clusters = new Map<string, ClusterConfig>();
  const issues: ErrorIssue[] = [];
  const inboundCapture: CaptureKind = transparent ? inboundMode : 'explicit';
  const inPort = tp?.redirectPortInbound ?? DEFAULT_REDIRECT_PORT_INBOUND;
  const inPort6 = tp?.redirectPortInboundV6 ?? inPort;
  const outPort = tp?.redirectPortOutbound ?? DEFAULT_REDIRECT_PORT_OUTBOUND;

  const addCluster = (c: ClusterConfig): ClusterConfig => {
    const existing = clusters.get(c.name);
    if (existing) return existing;
    clusters.set(c.name, c);
    return c;
  };

  if (transparent) {
    const capture = (direction: FlowDirection, v: 4 | 6, port: number): void => {
      const name = `${direction}:passthrough:ipv${v}`;
      const c = addCluster(cluster(name, 'original_dst', [], direction === 'inbound', direction === 'inbound' && inboundMode === 'tproxy'));
      listeners.push({
        name,
        statName: statName(name),
        direction,
        address: v === 4 ? '0.0.0.0' : '::',
        port,
        bind: true,
        useOriginalDst: true,
        transparent: direction === 'inbound' && inboundMode === 'tproxy',
        capture: direction === 'inbound' ? inboundMode : 'redirect',
        protocol: 'tcp',
        cluster: c,
        httpStatPrefix: c.statName,
        tags: {},
      });
    };
    if (ipv4) capture('inbound', 4, inPort);
    if (ipv6) capture('inbound', 6, inPort6);
    if (ipv4) capture('outbound', 4, outPort);
    if (ipv6) capture('outbound', 6, outPort);
  }

  dp.networking.inbound.forEach((ib: DataplaneInbound, index) => {
    if (ib.state === 'Ignored') return;
    const servicePort = ib.servicePort ?? ib.port;
    const serviceAddress = ib.serviceAddress ?? '127.0.0.1';
    const c = addCluster(cluster(inboundClusterName(serviceAddress, servicePort), 'static', [{ address: serviceAddress, port: servicePort }], transparent, transparent && inboundMode === 'tproxy'));
    const appProtocol = h2Protocol(protocolOf(ib.tags));
    if (appProtocol) c.http2 ??= {};
    const name = inboundListenerName(dp, ib);
    if (transparent && (ib.port === inPort || ib.port === inPort6 || ib.port === outPort)) {
      issues.push({ path: `networking.inbound[${index}].port`, message: `port ${ib.port} is a capture port` });
    }
    listeners.push({
      name,
      statName: statName(name),
      direction: 'inbound',
      address: inboundAddress(dp, ib),
      port: ib.port,
      bind: !transparent,
      useOriginalDst: false,
      transparent: false,
      capture: inboundCapture,
      protocol: httpOr(ib.tags) ?? 'tcp',
      cluster: c,
      httpStatPrefix: c.statName,
      appProtocol,
      service: serviceOf(ib.tags),
      tags: ib.tags,
      index,
    });
  });

  dp.networking.outbound.forEach((ob: DataplaneOutbound, index) => {
    const service = serviceOf(ob.tags) ?? ob.backendRef?.name;
    const name = outboundListenerName(ob);
    const address = ob.address ?? '127.0.0.1';
    const info = service ? opts.services?.get(service) : undefined;
    const c = addCluster(cluster(service ?? name, 'service', info?.endpoints ?? [], false));
    const appProtocol = h2Protocol(ob.tags?.['kuma.io/protocol'] === undefined ? info?.protocol : protocolOf(ob.tags));
    if (appProtocol) c.http2 ??= {};
    // Loopback destinations are never captured, so a loopback outbound listens for real even in transparent mode.
    const bind = !transparent || isLoopback(address);
    listeners.push({
      name,
      statName: statName(name),
      direction: 'outbound',
      address,
      port: ob.port,
      bind,
      useOriginalDst: false,
      transparent: false,
      capture: bind ? 'explicit' : 'redirect',
      protocol: httpOr(ob.tags) ?? (info && info.protocol !== 'tcp' ? 'http' : 'tcp'),
      cluster: c,
      httpStatPrefix: c.statName,
      appProtocol,
      service,
      tags: ob.tags ?? {},
      index,
    });
  });

  if (transparent) {
    // Kuma's VIP outbounds: each service with a virtual IP at port 80 and at its endpoints' ports, captured to 15001 and handed off here.
    const taken = new Set(listeners.map((l) => `${canonicalAddress(l.address)}|${l.port}`));
    for (const { service, info, vip } of servicesWithVip(opts.services)) {
      const c = addCluster(cluster(service, 'service', info.endpoints, false));
      const appProtocol = h2Protocol(info.protocol);
      if (appProtocol) c.http2 ??= {};
      for (const port of vipPorts(info.endpoints.map((e) => e.port))) {
        if (taken.has(`${vip}|${port}`)) continue;
        const name = vipListenerName(vip, port);
        listeners.push({
          name,
          statName: statName(name),
          direction: 'outbound',
          address: vip,
          port,
          bind: false,
          useOriginalDst: false,
          transparent: false,
          capture: 'redirect',
          protocol: info.protocol === 'tcp' ? 'tcp' : 'http',
          cluster: c,
          httpStatPrefix: c.statName,
          appProtocol,
          service,
          tags: { [SERVICE_TAG]: service },
        });
      }
    }
  }

  const seen = new Map<string, string>();
  for (const l of listeners) {
    if (!l.bind && !transparent) continue;
    const key = l.bind ? `bind ${l.address}:${l.port}` : `match ${l.address}:${l.port}`;
    const other = seen.get(key);
    if (other) {
      const where = l.index === undefined ? l.name : `networking.${l.direction}[${l.index}]`;
      issues.push({ path: `${where}.port`, message: `${l.name} uses ${l.address}:${l.port} like ${other}` });
    }
    seen.set(key, l.name);
  }
  if (issues.length) fail(`dataplane ${dp.name} has conflicting listeners`, issues);

  return {
    version: opts.version ?? '',
    mesh: dp.mesh,
    dataplane: dp.name,
    transparent,
    inboundMode,
    ipv6,
    listeners,
    clusters: [...clusters.values()],
    dns: transparent ? dnsProxyConfig(opts.services, ipv4, ipv6) : undefined,
  };
}

/** The services that have a VIP, by name (so listeners and DNS names come in a stable order). */
function servicesWithVip(services: ServiceDirectory | undefined): Array<{ service: string; info: ServiceInfo; vip: string }> {
  const out = [...(services ?? new Map<string, ServiceInfo>())].flatMap(([service, info]) => (info.vip ? [{ service, info, vip: info.vip }] : []));
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

/**
 * The DNS proxy of a transparent dataplane, as Kuma configures Envoy's DNS filter: every service
 * with a VIP under its mesh names (A: the VIP; AAAA in dual stack: its IPv4-mapped form), every
 * other name forwarded to the namespace's resolvers. It listens on loopback, where the capture
 * rules' REDIRECT sends the application's queries.
 */
function dnsProxyConfig(services: ServiceDirectory | undefined, ipv4: boolean, ipv6: boolean): DnsProxyConfig {
  const domains = new Map<string, DnsRecord>();
  for (const { service, vip } of servicesWithVip(services)) {
    for (const name of meshDnsNames(service)) {
      if (!domains.has(name)) domains.set(name, { a: [vip], aaaa: ipv6 ? [mappedVip(vip)] : [], ttl: DEFAULT_ANSWER_TTL_S });
    }
  }
  return {
    name: DNS_LISTENER_NAME,
    statPrefix: statName(DNS_LISTENER_NAME),
    addresses: [...(ipv4 ? [{ address: '127.0.0.1', port: DEFAULT_DNS_PORT }] : []), ...(ipv6 ? [{ address: '::1', port: DEFAULT_DNS_PORT }] : [])],
    domains,
    forward: { timeoutMs: DEFAULT_RESOLVER_TIMEOUT_MS, maxPending: DEFAULT_MAX_PENDING, upstreams: [] },
  };
}
