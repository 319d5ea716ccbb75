import type { AddressInfo } from 'node:net';
import { MeshcapError } from '../errors.ts';
import { FlowIds, FlowLog } from '../flows/index.ts';
import type { Dataplane } from '../model/index.ts';
import { startAdmin, type AdminServer, type AdminSource, type ClusterStatus, type ConfigDumpProvider, type ListenerStatus } from './admin.ts';
import { buildListenerPasses, type PolicyPasses } from './chain.ts';
import { configDumpOfResources } from '../xds/config-dump.ts';
import type { EnvoyConfigDump } from '../xds/envoy-json.ts';
import { queryConfigDump } from '../xds/query.ts';
import type { XdsResourceSet } from '../xds/resource-set.ts';
import { compileProxyConfig, type ClusterConfig, type ListenerConfig, type ProxyConfig, type ServiceDirectory } from './config.ts';
import { engineConfigFromXds, type XdsEngineConfig } from './xds-config/engine-config.ts';
import { ClusterState } from './cluster-state.ts';
import { acceptConnection } from './connection.ts';
import { DataplaneDns } from './dataplane-dns.ts';
import { ListenerRoutes } from './listener-routes.ts';
import { ListenerSockets } from './listener-sockets.ts';
import { HttpRouter } from '../policies/mesh-http-route/router.ts';
import { TcpSplit } from '../policies/mesh-tcp-route/split.ts';
import type { ClusterRuntime, EngineContext, EngineLog, ListenerRuntime } from './context.ts';
import { UpstreamPool } from './http/pool.ts';
import { Http2UpstreamPool } from './http2/pool.ts';
import { nativeRelay, type TcpRelay } from './relay.ts';
import { ProxyStats, sortStats, statSnapshotValues, statValue, sumStatSnapshots, type StatSnapshot, type StatValue, type WorkerStats } from './stats.ts';
import { prepareTransparentHost } from './transparent-host.ts';
import { UpstreamConnector } from './upstream.ts';

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

export type { EngineLog };

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
  /**
   * One of several engine threads of a dataplane (`meshcap dp --workers N`): a `worker` listens on
   * the TCP listeners with SO_REUSEPORT (so every worker has its own socket on each port, and the
   * kernel spreads connections among them) and runs no DNS proxy; the `control` thread opens no
   * TCP listener and serves the admin, the DNS proxy and the flows and stats its workers report
   * (`setWorkerStats`). Default: one engine that does everything.
   */
  thread?: 'control' | 'worker';
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
  /** This engine's counters as plain data (what a worker thread reports). */
  statSnapshot(): StatSnapshot;
  /**
   * A `control` thread's view of its workers: from then on its counters, `/stats` and
   * `/listeners` show their sums (plus `retired`, the counters of workers that died and were
   * restarted, so totals never go back), and `/stats?format=json` also lists each worker's own.
   */
  setWorkerStats(workers: readonly WorkerStats[], retired?: StatSnapshot): void;
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

/** A worker's values that only the control thread's own mean: its state, and the one flow log (workers hand their flows over). */
const NOT_SUMMED = /^(server\.(live|uptime)$|meshcap\.flows\.)/;

interface Active {
  readonly config: ProxyConfig;
  readonly listeners: Map<string, ListenerRuntime>;
  readonly clusters: Map<string, ClusterRuntime>;
  readonly routes: ListenerRoutes;
}

class DataplaneEngine implements DataplaneHandle, AdminSource {
  readonly flows: FlowLog;
  readonly ctx: EngineContext;
  private active!: Active;
  private readonly clusterStates = new Map<string, ClusterState>();
  private readonly sockets: ListenerSockets;
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
  private readonly dns: DataplaneDns;
  /** `control` thread: the workers' latest reports, and the read-time values summed over them. */
  private workerStats: readonly WorkerStats[] | undefined;
  private workerValues: Record<string, number> = {};

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
    this.sockets = new ListenerSockets(
      (bound, socket) => acceptConnection(this.ctx, this.active.listeners.get(bound.listener), this.active.routes, socket),
      (message) => this.log('error', message),
      options.thread === 'worker',
    );
    this.dns = new DataplaneDns(stats, this.log);
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
    return { config, listeners, clusters, routes: new ListenerRoutes(listeners.values()) };
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
    await this.syncHost(config);
    try {
      await this.syncSockets(config);
    } catch (err) {
      await this.dns.stop();
      throw err;
    }
    const admin = this.options.admin;
    if (admin !== false) {
      const port = admin?.port ?? adminPort ?? DEFAULT_ADMIN_PORT;
      const address = admin?.address ?? DEFAULT_ADMIN_ADDRESS;
      try {
        this.adminServer = await startAdmin(this, address, port);
      } catch (err) {
        this.sockets.closeAll();
        await this.dns.stop();
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

  /** What the process does once, not per worker thread: the host's transparent-mode prerequisites and the DNS proxy. */
  private async syncHost(config: ProxyConfig): Promise<void> {
    if (this.options.thread === 'worker') return;
    await prepareTransparentHost(config, this.log);
    await this.dns.sync(config);
  }

  /** The TCP listeners, which a `control` thread leaves to its workers. */
  private async syncSockets(config: ProxyConfig): Promise<void> {
    if (this.options.thread !== 'control') await this.sockets.sync(config);
  }

  /** Puts a config in force; on failure the previous one stays (and the error is thrown). */
  private async install(config: ProxyConfig, policies: PolicyPasses | undefined, services: ServiceDirectory | undefined): Promise<void> {
    const previous = { active: this.active, policies: this.policies, services: this.services };
    this.policies = policies;
    this.services = services;
    try {
      this.active = this.build(config);
      await this.syncHost(config);
      await this.syncSockets(config);
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
      ...(this.workerStats ? { workers: this.workerStats.length } : {}),
      pid: process.pid,
      uid: process.getuid?.(),
    };
  }

  statValues(): StatValue[] {
    const fromPolicies = this.policies?.stats?.() ?? [];
    const own = fromPolicies.length ? [...this.ctx.stats.values(), ...fromPolicies] : this.ctx.stats.values();
    if (!this.workerStats) return own;
    // A control thread serves no traffic: its read-time values are its workers' (plus its own DNS, flows and state).
    const extra = { ...this.workerValues };
    for (const v of own) {
      const w = extra[v.name];
      if (w === undefined) continue;
      v.value += w;
      delete extra[v.name];
    }
    for (const [name, value] of Object.entries(extra)) own.push(statValue(name, value));
    return sortStats(own);
  }

  statSnapshot(): StatSnapshot {
    const snap = this.ctx.stats.snapshot((name) => NOT_SUMMED.test(name));
    for (const v of this.policies?.stats?.() ?? []) snap.values[v.name] = v.value;
    return snap;
  }

  setWorkerStats(workers: readonly WorkerStats[], retired?: StatSnapshot): void {
    this.workerStats = workers;
    const sum = sumStatSnapshots([...workers.filter((w) => w.running).map((w) => w.stats), ...(retired ? [retired] : [])]);
    this.ctx.stats.loadSums(sum);
    this.workerValues = sum.values;
    this.workerValues['meshcap.workers.running'] = workers.filter((w) => w.running).length;
    this.workerValues['meshcap.workers.restarts'] = workers.reduce((n, w) => n + w.restarts, 0);
    this.workerValues['meshcap.workers.flows_dropped'] = workers.reduce((n, w) => n + w.flowsDropped, 0);
  }

  workers(): Array<{ stats: StatValue[] } & Record<string, unknown>> | undefined {
    return this.workerStats?.map((w) => ({ worker: w.worker, running: w.running, restarts: w.restarts, flows_dropped: w.flowsDropped, stats: statSnapshotValues(w.stats) }));
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
      this.sockets.closeAll();
      for (const c of this.ctx.open) c.drain();
      const deadline = Date.now() + drainMs;
      while (this.ctx.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (this.ctx.open.size > 0) this.log('info', `drain deadline (${drainMs} ms) reached; closing ${this.ctx.open.size} connections`);
      for (const c of [...this.ctx.open]) c.abort();
      this.ctx.httpPool.closeIdle();
      for (const state of this.clusterStates.values()) state.stop();
      this.ctx.http2Pool.closeAll();
      await this.dns.stop();
      await this.adminServer?.close();
    })();
    return this.stopping;
  }
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
