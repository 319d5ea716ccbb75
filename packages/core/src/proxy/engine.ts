import net, { type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { listenTransparent } from '@meshcap/native';
import { DnsCounters, DnsProxy } from '../dns/server.ts';
import { MeshcapError } from '../errors.ts';
import { FlowIds, FlowLog, type FlowAddress, type FlowDirection, type FlowReason } from '../flows/index.ts';
import { canonicalAddress, type Dataplane } from '../model/index.ts';
import { startAdmin, type AdminServer, type AdminSource, type ClusterStatus, type ConfigDumpProvider, type ListenerStatus } from './admin.ts';
import { buildListenerPasses, type PolicyPasses, type TcpConnectionContext } from './chain.ts';
import { configDumpOfResources } from '../xds/config-dump.ts';
import type { EnvoyConfigDump } from '../xds/envoy-json.ts';
import { queryConfigDump } from '../xds/query.ts';
import type { XdsResourceSet } from '../xds/resource-set.ts';
import { compileProxyConfig, type ClusterConfig, type ListenerConfig, type ProxyConfig, type ServiceDirectory } from './config.ts';
import { engineConfigFromXds, type XdsEngineConfig } from './xds-config/engine-config.ts';
import { ClusterState } from './cluster-state.ts';
import { HttpRouter } from '../policies/mesh-http-route/router.ts';
import { TcpSplit } from '../policies/mesh-tcp-route/split.ts';
import { ms, newFlow, runPasses, type Accepted, type ClusterRuntime, type EngineContext, type ListenerRuntime } from './context.ts';
import { UpstreamPool } from './http/pool.ts';
import { Http2UpstreamPool } from './http2/pool.ts';
import { serveHttp } from './http2/codec.ts';
import { originalDestination, type Destination } from './original-destination.ts';
import { nativeRelay, type TcpRelay } from './relay.ts';
import { ProxyStats, type StatValue } from './stats.ts';
import { proxyTcp, type TcpTimeouts } from './tcp-proxy.ts';
import { ignoreError, INBOUND_SOURCE_V6, UpstreamConnector } from './upstream.ts';
import { peekTransport, terminateTls } from './tls/session.ts';
import { runSystemCommand } from '../capture/system-command.ts';

export const DEFAULT_ADMIN_PORT = 9901;
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1';
/** Kuma's defaults (MeshTimeout): 5 s to connect, 1 h idle. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
/** MeshTimeout's `http.requestHeadersTimeout` default in Kuma (and Envoy's request_headers_timeout): 0s, disabled. */
export const DEFAULT_REQUEST_HEADERS_TIMEOUT_MS = 0;
export const DEFAULT_DRAIN_MS = 5_000;
/** Istio's and `install transparent-proxy --inbound-mode tproxy`'s default mark (1337). */
export const DEFAULT_TPROXY_MARK = 0x539;
/** A client has this long to complete the mTLS handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** PERMISSIVE: a client silent this long is taken for plaintext (Envoy's listener_filters_timeout default). */
export const TLS_INSPECTOR_TIMEOUT_MS = 15_000;

export type EngineLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** What a dataplane runs when it starts from xDS resources instead of a Dataplane resource. */
export interface XdsStart {
  mesh: string;
  name: string;
  version: string;
  resources: XdsResourceSet;
}

export interface DataplaneOptions {
  /** The Dataplane resource to run; or `xds`. */
  dataplane?: Dataplane;
  /** Envoy resources to run (what `applyXds` applies), instead of `dataplane`. */
  xds?: XdsStart;
  /** Config version (the control plane's); '' when running standalone from a file. */
  version?: string;
  /** Where mesh services live, for outbound listeners (see `serviceDirectory`). */
  services?: ServiceDirectory;
  /** Policy passes for each listener's chains (the policy engine supplies them). */
  policies?: PolicyPasses;
  /** Admin endpoint; default 127.0.0.1:9901 (or the Dataplane's `networking.admin.port`). `false`: none. */
  admin?: { address?: string; port?: number } | false;
  /** `/config_dump` builder; can also be set later with `setConfigDump`. */
  configDump?: ConfigDumpProvider;
  /** SO_MARK on every upstream socket (0: none). Needs CAP_NET_ADMIN. */
  upstreamMark?: number;
  /** TPROXY inbound: mark of the proxy's connections to the app (the capture rules' --tproxy-mark; default 0x539). */
  tproxyMark?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Time a client has to send a whole request head (first byte to CRLF CRLF) before it gets 408; 0 disables. */
  requestHeadersTimeoutMs?: number;
  /** Flows kept in the ring buffer. */
  flowBufferSize?: number;
  /** Randomness for percentage-based policies; injectable for tests. */
  random?: () => number;
  /** The TCP relay for raw TCP listeners (TLS always uses the stream relay); default the native one. */
  relay?: TcpRelay;
  log?: EngineLog;
}

export interface DataplaneHandle {
  readonly mesh: string;
  readonly name: string;
  /** The config version in effect. */
  readonly version: string;
  readonly flows: FlowLog;
  /** Where the admin server listens (undefined without one). */
  readonly admin: AddressInfo | undefined;
  /** The compiled listeners and clusters in effect. */
  config(): ProxyConfig;
  /**
   * Applies a new config version: listeners are opened/closed as needed, new connections use the
   * new config, open ones finish on the old. Throws MeshcapError (and keeps the last good config)
   * when the config is invalid or a listener cannot be opened: the caller NACKs. `policies` and
   * `services` left undefined keep what was given before.
   */
  updateConfig(version: string, dataplane: Dataplane, policies?: PolicyPasses, services?: ServiceDirectory): Promise<void>;
  /**
   * Applies a version of Envoy resources received over xDS: the listeners, clusters and policy
   * passes are built from them, with the same keep-last-good semantics as `updateConfig`. Throws
   * MeshcapError naming the resource and field it cannot honour (the caller NACKs with it). After
   * it, `/config_dump` shows these resources as received, `version_info` = `version`.
   */
  applyXds(version: string, resources: XdsResourceSet): Promise<void>;
  stats(): StatValue[];
  listeners(): ListenerStatus[];
  clusters(): ClusterStatus[];
  /** The `/config_dump` builder in force (after `applyXds`: the resources as received). */
  configDump(): ConfigDumpProvider | undefined;
  setConfigDump(provider: ConfigDumpProvider | undefined): void;
  /**
   * Drains: stops accepting, lets open connections finish (HTTP keep-alive connections close after
   * their current response), and after `drainMs` closes what is left. Resolves when all is closed.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/** Which listener serves a captured connection, by its original destination (Envoy's use_original_dst hand-off). */
class Routes {
  private readonly exact = new Map<string, ListenerRuntime>();
  private readonly inboundByPort = new Map<number, ListenerRuntime>();

  constructor(listeners: Iterable<ListenerRuntime>) {
    for (const l of listeners) {
      const c = l.config;
      if (c.bind) continue;
      this.exact.set(`${c.direction}|${canonicalAddress(c.address)}|${c.port}`, l);
      if (c.direction === 'inbound' && !this.inboundByPort.has(c.port)) this.inboundByPort.set(c.port, l);
    }
  }

  /**
   * The declared inbound/outbound for `dst`: exact address and port; for inbound, any declared
   * inbound on that port (the connection was captured on this host, so it is for this workload).
   */
  resolve(direction: FlowDirection, dst: FlowAddress): ListenerRuntime | undefined {
    if (this.exact.size === 0) return undefined;
    const hit = this.exact.get(`${direction}|${dst.address}|${dst.port}`);
    if (hit || direction === 'outbound') return hit;
    return this.inboundByPort.get(dst.port);
  }
}

interface Active {
  readonly config: ProxyConfig;
  readonly listeners: Map<string, ListenerRuntime>;
  readonly clusters: Map<string, ClusterRuntime>;
  readonly routes: Routes;
}

interface BoundServer {
  readonly key: string;
  readonly server: net.Server;
  /** Name of the listener this socket serves (looked up in the active config at each accept). */
  listener: string;
}

function bindKey(l: ListenerConfig): string {
  return `${l.address}|${l.port}|${l.transparent ? 'transparent' : ''}`;
}

function hasLoopbackAddress(address: string): boolean {
  return (networkInterfaces().lo ?? []).some((i) => i.address === address);
}

/** IPv6 inbound traffic is relayed from ::6, which (unlike 127.0.0.6) is not local until added to lo. */
async function addLoopbackAddress(address: string): Promise<string | undefined> {
  try {
    const r = await runSystemCommand({}, 'ip', ['-6', 'addr', 'add', `${address}/128`, 'dev', 'lo', 'nodad'], undefined, 5_000);
    return r.code === 0 ? undefined : r.stderr.trim() || `exit ${r.code ?? 'killed'}`;
  } catch (err) {
    return (err as Error).message;
  }
}

class DataplaneEngine implements DataplaneHandle, AdminSource {
  readonly flows: FlowLog;
  readonly ctx: EngineContext;
  private active!: Active;
  private readonly clusterStates = new Map<string, ClusterState>();
  private readonly servers = new Map<string, BoundServer>();
  private policies: PolicyPasses | undefined;
  private services: ServiceDirectory | undefined;
  private adminServer: AdminServer | undefined;
  private dump: ConfigDumpProvider | undefined;
  /** The dump of the xDS resources in force (after `applyXds`). */
  private xdsDump: EnvoyConfigDump | undefined;
  private serving = false;
  private stopping: Promise<void> | undefined;
  private updating: Promise<void> = Promise.resolve();
  private readonly log: EngineLog;
  /** The DNS proxy (`kuma:dns`), while the config has one. */
  private dns: DnsProxy | undefined;
  private readonly dnsStats = new Set<string>();

  constructor(readonly mesh: string, readonly name: string, private readonly options: DataplaneOptions) {
    this.flows = new FlowLog(options.flowBufferSize ?? 10_000);
    this.policies = options.policies;
    this.services = options.services;
    this.dump = options.configDump;
    this.log = options.log ?? (() => {});
    const stats = new ProxyStats();
    this.ctx = {
      mesh,
      dataplane: name,
      flows: this.flows,
      ids: new FlowIds(),
      stats,
      upstreams: new UpstreamConnector(options.upstreamMark ?? 0, options.tproxyMark ?? DEFAULT_TPROXY_MARK),
      httpPool: new UpstreamPool(),
      http2Pool: new Http2UpstreamPool(),
      relay: options.relay ?? nativeRelay,
      random: options.random ?? Math.random,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      requestHeadersTimeoutMs: options.requestHeadersTimeoutMs ?? DEFAULT_REQUEST_HEADERS_TIMEOUT_MS,
      open: new Set(),
      draining: false,
      httpPasses: (l) => {
        const current = this.active.listeners.get(l.config.name);
        return (l.tlsSide ? current?.tls : current)?.passes.http ?? l.passes.http;
      },
    };
    stats.define('server.live', () => (this.state() === 'LIVE' ? 1 : 0));
    stats.define('server.uptime', () => Math.floor((Date.now() - stats.started) / 1000));
    stats.define('server.total_connections', () => this.ctx.open.size);
    stats.define('meshcap.flows.published', () => this.flows.stats().published);
    stats.define('meshcap.flows.evicted', () => this.flows.stats().evicted);
    stats.define('meshcap.flows.subscriber_errors', () => this.flows.stats().subscriberErrors);
    stats.define('meshcap.http.upstream_pool_idle', () => this.ctx.httpPool.idleCount);
  }

  /** The passes the first config is built with (before `start`). */
  usePolicies(policies: PolicyPasses): void {
    this.policies = policies;
  }

  get version(): string {
    return this.active.config.version;
  }

  get admin(): AddressInfo | undefined {
    return this.adminServer?.address;
  }

  config(): ProxyConfig {
    return this.active.config;
  }

  /** Compiles and builds the runtime for a config; counters are kept by name across versions. */
  private build(config: ProxyConfig): Active {
    const { stats } = this.ctx;
    const clusters = new Map<string, ClusterRuntime>();
    for (const c of config.clusters) clusters.set(c.name, { config: c, counters: stats.cluster(c.statName), state: this.clusterState(c) });
    const listeners = new Map<string, ListenerRuntime>();
    for (const l of config.listeners) {
      const runtime = {
        config: l,
        counters: stats.listener(l.statName),
        cluster: clusters.get(l.cluster.name)!,
        http: l.protocol === 'http' ? stats.httpPrefix(l.httpStatPrefix) : undefined,
        passes: buildListenerPasses(l, this.policies),
        router: l.httpRoutes && l.protocol === 'http' ? new HttpRouter(l.httpRoutes, (name) => clusters.get(name)!, l.httpRoutes.policy) : undefined,
        tcpSplit: l.tcpRoute && l.protocol === 'tcp' ? new TcpSplit(l.tcpRoute, (name) => clusters.get(name)!, l.tcpRoute.policy) : undefined,
      };
      const policies = this.policies;
      const tlsPasses = l.mtls && policies?.forTlsChains ? { forListener: (x: ListenerConfig) => policies.forTlsChains!(x) } : undefined;
      listeners.set(l.name, l.mtls ? { ...runtime, tls: { ...runtime, passes: buildListenerPasses(l, tlsPasses), tlsSide: true } } : runtime);
    }
    return { config, listeners, clusters, routes: new Routes(listeners.values()) };
  }

  /** The state of a cluster by name, configured for this version of it. */
  private clusterState(c: ClusterConfig): ClusterState {
    let state = this.clusterStates.get(c.name);
    if (!state) {
      const upstreams = this.ctx.upstreams;
      state = new ClusterState(
        (host, timeoutMs) => upstreams.connect(host, { transparent: false, mark: upstreams.mark }, timeoutMs).then((r) => r.socket),
        this.ctx.random,
        (message) => this.log('info', `cluster ${c.name}: ${message}`),
      );
      this.clusterStates.set(c.name, state);
    }
    state.configure(c);
    return state;
  }

  /** Stops the health checks and detectors of clusters no longer in `config`. */
  private pruneClusterStates(config: ProxyConfig): void {
    const names = new Set(config.clusters.map((c) => c.name));
    for (const [name, state] of this.clusterStates) {
      if (names.has(name)) continue;
      state.stop();
      this.clusterStates.delete(name);
    }
  }

  async start(config: ProxyConfig, adminPort: number | undefined): Promise<void> {
    this.active = this.build(config);
    await this.prepareHost(config);
    await this.syncDns(config);
    try {
      await this.syncServers(config);
    } catch (err) {
      await this.syncDns({ ...config, dns: undefined });
      throw err;
    }
    const admin = this.options.admin;
    if (admin !== false) {
      const port = admin?.port ?? adminPort ?? DEFAULT_ADMIN_PORT;
      const address = admin?.address ?? DEFAULT_ADMIN_ADDRESS;
      try {
        this.adminServer = await startAdmin(this, address, port);
      } catch (err) {
        await this.closeServers([...this.servers.values()]);
        await this.syncDns({ ...config, dns: undefined });
        throw new MeshcapError('MESHCAP_ERR_LISTEN', `admin: cannot listen on ${address}:${port}: ${(err as Error).message}`, [], { cause: err });
      }
    }
    this.serving = true;
  }

  /** The engine config of a set of xDS resources (throws MeshcapError naming what cannot be honoured). */
  decodeXds(version: string, resources: XdsResourceSet): XdsEngineConfig {
    return engineConfigFromXds(resources, { mesh: this.mesh, dataplane: this.name, version, tproxyMark: this.ctx.upstreams.tproxyMark });
  }

  /** Records the dump of the resources now in force; unchanged resources keep their stamps. */
  recordXdsDump(version: string, resources: XdsResourceSet): void {
    const admin = this.adminServer?.address;
    this.xdsDump = configDumpOfResources({
      resources,
      version,
      node: { id: `${this.mesh}.${this.name}`, cluster: this.active.config.listeners.find((l) => l.direction === 'inbound' && l.service)?.service },
      admin: admin ? { address: admin.address, port: admin.port } : undefined,
      previous: this.xdsDump,
    });
    const dump = this.xdsDump;
    this.dump = (query) => queryConfigDump(dump, query);
  }

  /** Host prerequisites of transparent mode that only we know we need. */
  private async prepareHost(config: ProxyConfig): Promise<void> {
    if (!config.transparent || !config.ipv6 || config.inboundMode === 'tproxy') return;
    if (hasLoopbackAddress(INBOUND_SOURCE_V6)) return;
    const problem = await addLoopbackAddress(INBOUND_SOURCE_V6);
    if (problem) this.log('warn', `IPv6 inbound traffic is relayed from ${INBOUND_SOURCE_V6}, which is not on lo and could not be added (${problem}); IPv6 inbound connections will fail`);
    else this.log('info', `added ${INBOUND_SOURCE_V6}/128 to lo (source of IPv6 inbound relays, excluded from capture)`);
  }

  private async listen(l: ListenerConfig, bound: BoundServer): Promise<void> {
    const server = bound.server;
    try {
      if (l.transparent) {
        await listenTransparent(server, { host: l.address, port: l.port, ipv6Only: net.isIP(l.address) === 6 });
      } else {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: l.address, port: l.port, ipv6Only: net.isIP(l.address) === 6, backlog: 511 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code === 'EACCES' || e.code === 'EPERM' ? 'MESHCAP_ERR_PERMISSION' : 'MESHCAP_ERR_LISTEN';
      throw new MeshcapError(code, `listener ${l.name}: cannot listen on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}${l.transparent ? ' (transparent)' : ''}: ${e.code ?? e.message}`, [], { cause: err });
    }
    server.on('error', (err) => this.log('error', `listener ${bound.listener}: ${err.message}`));
  }

  /** Opens sockets for listeners that bind and are not open yet; closes those no longer wanted. */
  private async syncServers(config: ProxyConfig): Promise<void> {
    const wanted = new Map<string, ListenerConfig>();
    for (const l of config.listeners) if (l.bind) wanted.set(bindKey(l), l);
    const opened: BoundServer[] = [];
    try {
      for (const [key, l] of wanted) {
        const existing = this.servers.get(key);
        if (existing) {
          existing.listener = l.name;
          continue;
        }
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
        const bound: BoundServer = { key, server, listener: l.name };
        server.on('connection', (socket: Socket) => this.onConnection(bound, socket));
        await this.listen(l, bound);
        opened.push(bound);
        this.servers.set(key, bound);
      }
    } catch (err) {
      for (const b of opened) this.servers.delete(b.key);
      await this.closeServers(opened);
      throw err;
    }
    await this.closeServers([...this.servers.values()].filter((b) => !wanted.has(b.key)));
  }

  /**
   * Starts, reconfigures or stops the DNS proxy to match the config. A proxy that cannot open its
   * sockets throws MeshcapError (the caller NACKs); a running one keeps its sockets if the new ones fail.
   */
  private async syncDns(config: ProxyConfig): Promise<void> {
    if (!config.dns) {
      const old = this.dns;
      this.dns = undefined;
      await old?.stop();
      return;
    }
    if (this.dns) {
      await this.dns.update(config.dns);
    } else {
      const dns = new DnsProxy(config.dns, { log: (level, message) => this.log(level, message) });
      await dns.start();
      this.dns = dns;
      const where = config.dns.addresses.map((a) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`)).join(', ');
      this.log('info', `${config.dns.name}: DNS proxy on ${where} (UDP and TCP), ${config.dns.domains.size} mesh names`);
    }
    // Counters by Envoy's names (`dns_filter.<stat_prefix>.*`), read from whichever proxy is running.
    const prefix = `dns_filter.${config.dns.statPrefix}`;
    if (!this.dnsStats.has(prefix)) {
      this.dnsStats.add(prefix);
      for (const key of Object.keys(new DnsCounters()) as Array<keyof DnsCounters>) {
        this.ctx.stats.define(`${prefix}.${key}`, () => (this.dns?.statPrefix === config.dns!.statPrefix ? this.dns.counters[key] : 0));
      }
    }
  }

  /** Stops accepting on these sockets; connections already accepted carry on. */
  private async closeServers(list: BoundServer[]): Promise<void> {
    for (const b of list) {
      this.servers.delete(b.key);
      b.server.close();
    }
  }

  private onConnection(bound: BoundServer, socket: Socket): void {
    socket.on('error', ignoreError);
    const active = this.active;
    const lr = active.listeners.get(bound.listener);
    if (!lr || this.ctx.draining) {
      socket.destroy();
      return;
    }
    const t0 = performance.now();
    const start = Date.now();
    countOpen(lr, socket);
    const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    let target = lr;
    let destination: Destination;
    if (lr.config.useOriginalDst) {
      try {
        destination = originalDestination(socket, lr.config.capture);
      } catch (err) {
        lr.counters.downstream_cx_no_original_dst++;
        this.reject(lr, socket, client, start, t0, `no_original_destination: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        return;
      }
      if (this.ctx.upstreams.isOwn(client, destination)) {
        // Our own upstream connection came back: capture rules that do not exclude the proxy. Refuse, never loop.
        lr.counters.downstream_cx_redirect_loop++;
        this.reject(lr, socket, client, start, t0, 'redirect_loop');
        return;
      }
      const handed = active.routes.resolve(lr.config.direction, destination);
      if (handed) {
        target = handed;
        countOpen(handed, socket);
        handed.counters.downstream_cx_handed_off++;
      }
    } else {
      destination = { address: socket.localAddress ?? '', port: socket.localPort ?? 0, family: socket.localFamily === 'IPv6' ? 6 : 4 };
    }
    const a: Accepted = {
      connectionId: this.ctx.ids.next(),
      start,
      t0,
      listener: target,
      capture: lr.config.capture,
      client,
      destination: { address: destination.address, port: destination.port },
      family: destination.family,
    };
    this.handle(a, socket);
  }

  /** A captured connection we cannot serve: RST, counted, and recorded as a flow. */
  private reject(lr: ListenerRuntime, socket: Socket, client: FlowAddress, start: number, t0: number, reason: FlowReason): void {
    const a: Accepted = {
      connectionId: this.ctx.ids.next(),
      start,
      t0,
      listener: lr,
      capture: lr.config.capture,
      client,
      destination: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      family: socket.localFamily === 'IPv6' ? 6 : 4,
    };
    const flow = newFlow(this.ctx, a, 'tcp', a.connectionId, start);
    flow.verdict = 'error';
    flow.reason = reason;
    flow.timings.totalMs = ms(t0, performance.now());
    socket.resetAndDestroy();
    this.flows.publish(flow);
  }

  /**
   * mTLS inbound: STRICT terminates every connection; PERMISSIVE those that open with a TLS
   * ClientHello (tls_inspector), the others go on as plaintext, recorded as such. A refused
   * handshake is a denied flow with its reason, never a silent reset.
   */
  private acceptMtls(a: Accepted, socket: Socket, m: NonNullable<ListenerConfig['mtls']>): void {
    const tlsSide = a.listener.tls!;
    const terminate = (head?: Buffer): void => {
      void terminateTls(socket, m.tls, TLS_HANDSHAKE_TIMEOUT_MS, head).then((r) => {
        if (r.ok) {
          this.handle({ ...a, listener: tlsSide, tls: r.tls }, r.socket);
          return;
        }
        a.listener.counters.downstream_cx_denied++;
        const flow = newFlow(this.ctx, { ...a, tls: r.tls }, a.listener.config.protocol, a.connectionId, a.start);
        flow.verdict = 'denied';
        flow.reason = r.reason;
        flow.timings.totalMs = ms(a.t0, performance.now());
        this.flows.publish(flow);
      });
    };
    if (!m.permissive) {
      terminate();
      return;
    }
    void peekTransport(socket, TLS_INSPECTOR_TIMEOUT_MS).then(({ tls, head }) => {
      if (tls) {
        terminate(head);
        return;
      }
      if (head) socket.unshift(head);
      this.handle({ ...a, tls: { mode: 'plaintext', verified: false } }, socket);
    });
  }

  /** Runs the listener's TCP chain, then hands the connection to the HTTP session or the TCP relay. */
  private handle(a: Accepted, socket: Socket): void {
    const mtls = a.listener.config.mtls;
    if (mtls && !a.listener.tlsSide && a.tls === undefined) {
      this.acceptMtls(a, socket, mtls);
      return;
    }
    const ctx = this.ctx;
    const passes = a.listener.passes.tcp;
    const protocol = a.listener.config.protocol;
    const timeouts: TcpTimeouts = { connectTimeoutMs: a.listener.cluster.config.connectTimeoutMs ?? ctx.connectTimeoutMs, idleTimeoutMs: ctx.idleTimeoutMs };
    if (passes.length === 0) {
      if (protocol === 'http') serveHttp(ctx, a, socket, { ...timeouts, requestHeadersTimeoutMs: ctx.requestHeadersTimeoutMs, maxConnectionDurationMs: 0 });
      else proxyTcp(ctx, a, socket, newFlow(ctx, a, 'tcp', a.connectionId, a.start), timeouts);
      return;
    }
    const flow = newFlow(ctx, a, protocol, a.connectionId, a.start);
    let denied = false;
    const tctx: TcpConnectionContext = {
      flow,
      listener: a.listener.config,
      client: a.client,
      destination: a.destination,
      connectTimeoutMs: timeouts.connectTimeoutMs,
      idleTimeoutMs: timeouts.idleTimeoutMs,
      requestHeadersTimeoutMs: ctx.requestHeadersTimeoutMs,
      maxConnectionDurationMs: 0,
      deny(policy, reason) {
        denied = true;
        flow.policies.push({ type: policy.type, name: policy.name, action: 'deny' });
        flow.verdict = 'denied';
        flow.reason = reason;
      },
      record(policy, action) {
        flow.policies.push({ type: policy.type, name: policy.name, action });
      },
      random: ctx.random,
    };
    const closed = (): void => {
      for (const p of passes) {
        try {
          p.onClose?.(tctx);
        } catch {
          // An access log that fails must not take the connection down with it; it is counted.
          a.listener.counters.pass_completion_errors++;
        }
      }
    };
    const proceed = (): void => {
      if (denied) {
        a.listener.counters.downstream_cx_denied++;
        socket.destroy();
        flow.timings.totalMs = ms(a.t0, performance.now());
        closed();
        this.flows.publish(flow);
        return;
      }
      const t = { connectTimeoutMs: tctx.connectTimeoutMs, idleTimeoutMs: tctx.idleTimeoutMs, requestHeadersTimeoutMs: tctx.requestHeadersTimeoutMs, maxConnectionDurationMs: tctx.maxConnectionDurationMs };
      if (protocol === 'http') serveHttp(ctx, a, socket, t);
      else proxyTcp(ctx, a, socket, flow, t, closed);
    };
    const failed = (err: unknown): void => {
      flow.verdict = 'error';
      flow.reason = `pass_error: ${(err as Error)?.message ?? String(err)}`;
      socket.resetAndDestroy();
      flow.timings.totalMs = ms(a.t0, performance.now());
      closed();
      this.flows.publish(flow);
    };
    try {
      const r = runPasses(passes, (p) => p.onConnect(tctx), () => denied);
      if (r) r.then(proceed, failed).catch(failed);
      else proceed();
    } catch (err) {
      failed(err);
    }
  }

  updateConfig(version: string, dataplane: Dataplane, policies?: PolicyPasses, services?: ServiceDirectory): Promise<void> {
    return this.serialised(version, async () => {
      if (dataplane.name !== this.name || dataplane.mesh !== this.mesh) {
        throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `config ${version} is for ${dataplane.mesh}/${dataplane.name}, this dataplane is ${this.mesh}/${this.name}`);
      }
      const nextServices = services ?? this.services;
      const config = compileProxyConfig(dataplane, { version, services: nextServices });
      await this.install(config, policies ?? this.policies, nextServices);
    });
  }

  applyXds(version: string, resources: XdsResourceSet): Promise<void> {
    return this.serialised(version, async () => {
      const { config, passes } = this.decodeXds(version, resources);
      await this.install(config, passes, this.services);
      this.recordXdsDump(version, resources);
    });
  }

  /** Config changes run one at a time, in the order they were asked for. */
  private serialised(version: string, run: () => Promise<void>): Promise<void> {
    const result = this.updating.then(() => {
      if (this.stopping) throw new MeshcapError('MESHCAP_ERR_CONFLICT', `dataplane ${this.name} is stopping; config ${version} not applied`);
      return run();
    });
    this.updating = result.catch(() => {});
    return result;
  }

  /** Puts a config in force; on failure the previous one stays (and the error is thrown). */
  private async install(config: ProxyConfig, policies: PolicyPasses | undefined, services: ServiceDirectory | undefined): Promise<void> {
    const previous = { active: this.active, policies: this.policies, services: this.services };
    this.policies = policies;
    this.services = services;
    try {
      this.active = this.build(config);
      await this.prepareHost(config);
      await this.syncDns(config);
      await this.syncServers(config);
    } catch (err) {
      this.active = previous.active;
      this.policies = previous.policies;
      this.services = previous.services;
      for (const c of previous.active.config.clusters) this.clusterState(c);
      this.pruneClusterStates(previous.active.config);
      throw err;
    }
    this.pruneClusterStates(config);
  }

  state(): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING' {
    if (this.stopping) return 'DRAINING';
    return this.serving ? 'LIVE' : 'PRE_INITIALIZING';
  }

  info(): Record<string, unknown> {
    return {
      state: this.state(),
      version: 'meshcap',
      config_version: this.version,
      node: { id: `${this.mesh}.${this.name}`, mesh: this.mesh, name: this.name },
      uptime_current_epoch: `${Math.floor((Date.now() - this.ctx.stats.started) / 1000)}s`,
      transparent: this.active.config.transparent,
      inbound_mode: this.active.config.inboundMode,
      upstream_mark: this.ctx.upstreams.mark,
      tproxy_mark: this.active.config.inboundMode === 'tproxy' ? this.ctx.upstreams.tproxyMark : undefined,
      relay: this.ctx.relay.name,
      pid: process.pid,
      uid: process.getuid?.(),
    };
  }

  statValues(): StatValue[] {
    const fromPolicies = this.policies?.stats?.() ?? [];
    return fromPolicies.length ? [...this.ctx.stats.values(), ...fromPolicies] : this.ctx.stats.values();
  }

  stats(): StatValue[] {
    return this.statValues();
  }

  listeners(): ListenerStatus[] {
    return [...this.active.listeners.values()].map(({ config: l, counters }) => ({
      name: l.name,
      address: l.address,
      port: l.port,
      bound: l.bind,
      direction: l.direction,
      protocol: l.protocol,
      capture: l.capture,
      useOriginalDst: l.useOriginalDst,
      transparent: l.transparent,
      cluster: l.cluster.name,
      downstreamCxTotal: counters.downstream_cx_total,
      downstreamCxActive: counters.downstream_cx_active,
    }));
  }

  clusters(): ClusterStatus[] {
    const now = performance.now();
    return [...this.active.clusters.values()].map(({ config: c, counters, state }) => ({
      name: c.name,
      kind: c.kind,
      endpoints: state.hosts.map((h) => ({ address: h.address, port: h.port, healthFlags: h.healthFlags(now), rqTotal: h.rqTotal, rqError: h.rqError })),
      limits: { ...state.limits.limits },
      stats: { ...counters, upstream_rq_active: state.limits.requests, upstream_rq_pending_active: state.limits.pending },
    }));
  }

  configDump(): ConfigDumpProvider | undefined {
    return this.dump;
  }

  setConfigDump(provider: ConfigDumpProvider | undefined): void {
    this.dump = provider;
  }

  stop(options: { drainMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
      this.ctx.draining = true;
      await this.closeServers([...this.servers.values()]);
      for (const c of this.ctx.open) c.drain();
      const deadline = Date.now() + drainMs;
      while (this.ctx.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (this.ctx.open.size > 0) this.log('info', `drain deadline (${drainMs} ms) reached; closing ${this.ctx.open.size} connections`);
      for (const c of [...this.ctx.open]) c.abort();
      this.ctx.httpPool.closeIdle();
      for (const state of this.clusterStates.values()) state.stop();
      this.ctx.http2Pool.closeAll();
      await this.dns?.stop();
      this.dns = undefined;
      await this.adminServer?.close();
    })();
    return this.stopping;
  }
}

/** Counts an open connection on a listener (total and active). */
function countOpen(l: ListenerRuntime, socket: Socket): void {
  const c = l.counters;
  c.downstream_cx_total++;
  c.downstream_cx_active++;
  socket.once('close', () => {
    c.downstream_cx_active--;
    c.downstream_cx_destroy++;
  });
}

/**
 * Starts a dataplane: from its Dataplane resource (`dataplane`, listeners compiled as Kuma's control
 * plane would) or from Envoy resources (`xds`, as `applyXds` runs them), opens the capture
 * listeners (transparent mode) or the explicit ones, and the admin endpoint. Throws MeshcapError
 * when the config is inconsistent or cannot be honoured, or a socket cannot be opened.
 */
export async function startDataplane(options: DataplaneOptions): Promise<DataplaneHandle> {
  const { dataplane: dp, xds } = options;
  if ((dp === undefined) === (xds === undefined)) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'startDataplane needs exactly one of dataplane or xds');
  if (dp) {
    const engine = new DataplaneEngine(dp.mesh, dp.name, options);
    await engine.start(compileProxyConfig(dp, { version: options.version ?? '', services: options.services }), dp.networking.admin?.port);
    return engine;
  }
  const engine = new DataplaneEngine(xds!.mesh, xds!.name, options);
  const { config, passes } = engine.decodeXds(xds!.version, xds!.resources);
  engine.usePolicies(passes);
  await engine.start(config, undefined);
  engine.recordXdsDump(xds!.version, xds!.resources);
  return engine;
}
