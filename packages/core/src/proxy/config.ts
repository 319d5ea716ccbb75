import { MeshcapError, type ErrorIssue } from '../errors.ts';
import type { TlsSocketConfig } from './tls/decode.ts';
import type { CaptureKind, FlowDirection } from '../flows/index.ts';
import {
  DEFAULT_REDIRECT_PORT_INBOUND,
  DEFAULT_REDIRECT_PORT_OUTBOUND,
  inboundAddress,
  inboundListenerName,
  isTransparent,
  outboundListenerName,
  protocolOf,
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
  protocol: 'tcp' | 'http';
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
  /** Mesh service under mTLS: connections originate TLS (UpstreamTlsContext). */
  tls?: TlsSocketConfig;
}

export type ListenerProtocol = 'tcp' | 'http';

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
  service?: string;
  tags: Readonly<Record<string, string>>;
  /** Index of the inbound/outbound this listener serves in the Dataplane resource. */
  index?: number;
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
  // http2/grpc/kafka have no codec here yet: they are relayed as TCP (bytes pass through unchanged).
  return protocolOf(tags) === 'http' ? 'http' : 'tcp';
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
      const info = out.get(service) ?? { endpoints: [], protocol: 'tcp' as ListenerProtocol };
      info.endpoints.push({ address: inboundAddress(dp, ib), port: ib.port });
      if (httpOr(ib.tags) === 'http') info.protocol = 'http';
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
      protocol: httpOr(ob.tags) ?? info?.protocol ?? 'tcp',
      cluster: c,
      httpStatPrefix: c.statName,
      service,
      tags: ob.tags ?? {},
      index,
    });
  });

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
  };
}
