import { MeshcapError } from '../../errors.ts';
import type { CaptureKind } from '../../flows/index.ts';
import { canonicalAddress, type PolicyConfs } from '../../model/index.ts';
import type { EnvoyMessage } from '../../xds/envoy-json.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import type { HttpPass, ListenerPasses, PolicyPasses, TcpPass } from '../chain.ts';
import { statName, type ClusterConfig, type ListenerConfig, type ProxyConfig } from '../config.ts';
import { accessLogHttpPass, accessLogTcpPass, type LogSubject } from '../../policies/mesh-access-log/pass.ts';
import { processAccessLogSinks, type AccessLogSinks } from '../../policies/mesh-access-log/sink.ts';
import type { Applied, ConfSource } from '../policies/conf-source.ts';
import { faultInjectionPass } from '../../policies/mesh-fault-injection/pass.ts';
import { rateLimitHttpPass, rateLimitTcpPass } from '../../policies/mesh-rate-limit/pass.ts';
import { retryPass } from '../../policies/mesh-retry/pass.ts';
import { timeoutHttpPass, timeoutTcpPass } from '../../policies/mesh-timeout/pass.ts';
import { trafficPermissionHttpPass, trafficPermissionTcpPass } from '../../policies/mesh-traffic-permission/pass.ts';
import { decodeDnsListener, isDnsListener } from '../../dns/decode.ts';
import { decodeCluster } from './cluster.ts';
import { chainSource } from './filter-chain-match.ts';
import { decodeListener, type DecodedListener, type EnforcedType } from './listener.ts';
import { reject, str } from './reader.ts';
import { decodeSecrets, decodeUpstreamTls } from '../tls/decode.ts';

/**
 * What `meshcap dp` runs from the Envoy resources it received: the listeners and clusters of its
 * proxy config, and the policy passes decoded from the filter configs found in them, each pass
 * choosing per connection by the filter chain the connection matches. Anything the engine would
 * not honour is a MeshcapError naming the resource and field (the NACK's message).
 */

export interface XdsEngineOptions {
  mesh?: string;
  dataplane?: string;
  version?: string;
  /** The engine's TPROXY mark: an original_src filter with another mark is refused. */
  tproxyMark?: number;
  /** Access log files; default the process's shared set. */
  accessLogs?: AccessLogSinks;
  /** Clock of the rate-limit token buckets (ms); default performance.now. */
  now?: () => number;
}

export interface XdsEngineConfig {
  config: ProxyConfig;
  passes: PolicyPasses;
}

function byName(resources: readonly EnvoyMessage[], kind: string, key: string): Map<string, EnvoyMessage> {
  const out = new Map<string, EnvoyMessage>();
  resources.forEach((r, i) => {
    const name = str(r[key], `${kind}[${i}].${key}`);
    if (out.has(name)) reject(`${kind} "${name}"`, `received twice`);
    out.set(name, r);
  });
  return out;
}

function captureOf(l: DecodedListener, inboundMode: 'redirect' | 'tproxy'): CaptureKind {
  if (l.bind && !l.useOriginalDst) return 'explicit';
  return l.direction === 'inbound' ? inboundMode : 'redirect';
}

/** The passes of one listener, from its chains' confs. */
function listenerPasses(l: DecodedListener, options: XdsEngineOptions): Partial<ListenerPasses> {
  const sinks = options.accessLogs ?? processAccessLogSinks;
  const source = <T extends EnforcedType>(type: T): ConfSource<Applied<PolicyConfs[T]>> =>
    chainSource(l.selector, l.chains.map((c) => c.confs[type] as Applied<PolicyConfs[T]> | undefined));
  // Kuma's operators were filled in by the control plane (the decoder refuses formats that still hold one).
  const subject: LogSubject = { sourceService: () => 'unknown', destinationService: () => l.tags['kuma.io/service'] ?? 'unknown', sourceAddress: (f) => canonicalAddress(f.client.address) };
  const http = l.protocol === 'http';
  const permission = source('MeshTrafficPermission');
  const rateLimit = source('MeshRateLimit');
  const timeout = source('MeshTimeout');
  const accessLog = source('MeshAccessLog');
  const tcp = [http ? undefined : trafficPermissionTcpPass(permission), rateLimitTcpPass(rateLimit, options.now), timeoutTcpPass(timeout), http ? undefined : accessLogTcpPass(accessLog, subject, sinks)];
  const httpPasses = http
    ? [
        trafficPermissionHttpPass(permission),
        rateLimitHttpPass(rateLimit, l.name, options.now),
        faultInjectionPass(source('MeshFaultInjection')),
        timeoutHttpPass(timeout),
        retryPass(source('MeshRetry')),
        accessLogHttpPass(accessLog, subject, sinks),
      ]
    : [];
  return { tcp: tcp.filter((p): p is TcpPass => p !== undefined), http: httpPasses.filter((p): p is HttpPass => p !== undefined) };
}

export function engineConfigFromXds(set: XdsResourceSet, options: XdsEngineOptions = {}): XdsEngineConfig {
  const endpoints = byName(set.endpoints, 'ClusterLoadAssignment', 'cluster_name');
  const routes = byName(set.routes, 'RouteConfiguration', 'name');
  const secrets = decodeSecrets(set.secrets ?? []);
  const clusters = new Map<string, ClusterConfig>();
  const connectTimeouts = new Map<string, string>();
  for (const [name, c] of byName(set.clusters, 'Cluster', 'name')) {
    // The transport socket is the TLS layer's (proxy/tls); the rest of the cluster decodes as ever.
    const { transport_socket: socket, ...plain } = c;
    const cluster = decodeCluster(plain, `Cluster "${name}"`, endpoints);
    const tls = decodeUpstreamTls(socket, `Cluster "${name}".transport_socket`, secrets);
    clusters.set(name, tls ? { ...cluster, tls } : cluster);
    if (c['connect_timeout'] !== undefined) connectTimeouts.set(name, String(c['connect_timeout']));
  }
  const received = [...byName(set.listeners, 'Listener', 'name')];
  const dnsListeners = received.filter(([, l]) => isDnsListener(l));
  if (dnsListeners.length > 1) reject(`Listener "${dnsListeners[1]![0]}"`, `meshcap dp runs one DNS proxy; "${dnsListeners[0]![0]}" is already one`);
  const dns = dnsListeners[0] ? decodeDnsListener(dnsListeners[0][1], `Listener "${dnsListeners[0][0]}"`) : undefined;
  const decoded = received
    .filter(([, l]) => !isDnsListener(l))
    .map(([name, l]) => decodeListener(l, `Listener "${name}"`, routes, (cluster) => connectTimeouts.get(cluster) ?? (clusters.has(cluster) ? '5s' : undefined), secrets));
  const inboundCapture = decoded.filter((l) => l.direction === 'inbound' && l.useOriginalDst);
  const tproxy = inboundCapture.some((l) => l.transparent);
  const originalSource = inboundCapture.find((l) => l.originalSource)?.originalSource;
  if (originalSource?.mark !== undefined && options.tproxyMark !== undefined && originalSource.mark !== options.tproxyMark) {
    const l = inboundCapture.find((x) => x.originalSource)!;
    reject(`Listener "${l.name}".listener_filters`, `original_src mark ${originalSource.mark} differs from this dataplane's TPROXY mark ${options.tproxyMark}`);
  }
  const inboundMode = tproxy ? 'tproxy' : 'redirect';
  const listeners: ListenerConfig[] = decoded.map((l) => {
    const cluster = clusters.get(l.cluster);
    if (!cluster) reject(`Listener "${l.name}".filter_chains`, `names cluster "${l.cluster}", which was not received`);
    for (const name of [...(l.httpRoutes?.routes.flatMap((r) => r.clusters ?? []) ?? []), ...(l.tcpRoute?.clusters ?? [])].map((c) => c.name)) {
      if (!clusters.has(name)) reject(`Listener "${l.name}".filter_chains`, `routes to cluster "${name}", which was not received`);
    }
    if (l.codec === 'http2' && !cluster.http2) reject(`Listener "${l.name}".filter_chains`, `codec_type HTTP2 needs cluster "${l.cluster}" to speak HTTP/2 (explicit_http_config.http2_protocol_options): meshcap dp does not translate HTTP/2 to HTTP/1.1`);
    // TPROXY: connections to the local application leave from the client's own address (original_src on the capture listener).
    if (originalSource && l.direction === 'inbound') Object.assign(cluster, { inboundSource: true, transparentSource: true });
    const { chains: _chains, selector: _selector, originalSource: _source, cluster: _cluster, httpStatPrefix, mtls, tlsInspector: _inspector, ...own } = l;
    return {
      ...own,
      statName: statName(l.name),
      capture: captureOf(l, inboundMode),
      cluster,
      httpStatPrefix: httpStatPrefix ?? cluster.statName,
      service: l.tags['kuma.io/service'],
      mtls: mtls ? { tls: mtls.tls, permissive: l.chains.length > 0 } : undefined,
    };
  });
  const byListener = new Map(decoded.map((l) => [l.name, l]));
  const config: ProxyConfig = {
    version: options.version ?? '',
    mesh: options.mesh ?? '',
    dataplane: options.dataplane ?? '',
    transparent: decoded.some((l) => l.useOriginalDst),
    inboundMode,
    ipv6: decoded.some((l) => l.useOriginalDst && l.address.includes(':')),
    listeners,
    clusters: [...clusters.values()],
    dns,
  };
  const sinks = options.accessLogs ?? processAccessLogSinks;
  const passes: PolicyPasses = {
    forListener(l) {
      const d = byListener.get(l.name);
      if (!d) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `listener ${l.name} is not one of the received listeners`);
      return listenerPasses(d, options);
    },
    forTlsChains(l) {
      const d = byListener.get(l.name);
      if (!d?.mtls) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `listener ${l.name} has no TLS filter chains`);
      return listenerPasses({ ...d, chains: d.mtls.chains, selector: d.mtls.selector }, options);
    },
    stats: () => sinks.statValues(),
  };
  // Building the passes compiles what the filter configs hold (formats, headers): a bad one is refused now, not at the first connection.
  for (const l of listeners) {
    try {
      passes.forListener(l);
      if (l.mtls) passes.forTlsChains!(l);
    } catch (err) {
      if (!(err instanceof MeshcapError)) throw err;
      throw new MeshcapError(err.code, `Listener "${l.name}": ${err.message}`, err.issues.map((i) => ({ ...i, path: `Listener "${l.name}" ${i.path}` })), { cause: err });
    }
  }
  return { config, passes };
}
