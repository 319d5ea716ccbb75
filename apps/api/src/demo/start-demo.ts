import { randomBytes } from 'node:crypto';
import { PROXY_GID, PROXY_UID } from '@meshcap/core';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAdminToken } from '../auth/admin-token.ts';
import { ControlPlaneClient } from './control-plane-client.ts';
import { demoIdFor, demoResidue, demoStateDir, removeDemoSync, sweepDeadDemos, type DemoResidue } from './leftovers.ts';
import { BACKEND_PORT, CLIENT_PORT, EXPLICIT_ADDRESS, explicitDataplane, FRONTEND_PORT, MESH, toYaml, transparentDataplane, type ExplicitPorts } from './manifests.ts';
import { DemoProcess } from './processes.ts';
import { isRoot, runCommand, sleep } from './system.ts';
import { createTopology, destroyTopologySync, planTopology, WORKLOADS, type Topology, type WorkloadName } from './topology.ts';

export type DemoMode = 'transparent' | 'explicit';

export interface DemoOptions {
  /** `auto` (default): transparent when this process may make namespaces and rules, else explicit. */
  mode?: 'auto' | DemoMode;
  /** Port of the control plane API and dashboard on 127.0.0.1; 0 picks a free one. Default 5681. */
  apiPort?: number;
  /** Client requests per second (at most 50). Default 4. */
  rate?: number;
  /** Every n-th client request goes straight to the backend (denied by the permission policy); 0: never. Default 10. */
  directEvery?: number;
  /** Apply the example policies of `policies/`. Default true. */
  policies?: boolean;
  /** Progress lines while starting and stopping. */
  log?: (line: string) => void;
  /** Bound on the whole start. Default 120 s. */
  startTimeoutMs?: number;
}

export interface DemoDataplane {
  name: WorkloadName;
  mesh: string;
  /** The workload's network namespace (transparent mode). */
  netns?: string;
  address: string;
  ipv6?: string;
  /** `inbound:<address>:<port>` of the app it fronts. */
  inboundListener: string;
  /** Port of its admin endpoints on 127.0.0.1 (inside `netns` in transparent mode). */
  adminPort: number;
  dataplaneFile: string;
}

export interface DemoHandle {
  /** `mcdemo-<pid>`: the prefix of everything this demo made. */
  id: string;
  mode: DemoMode;
  /** Why the demo runs in explicit mode when transparent was not asked to be avoided. */
  fallbackReason?: string;
  token: string;
  urls: {
    api: string;
    dashboard: string;
    /** The dashboard with the token in the fragment, which the dashboard adopts and removes. */
    dashboardWithToken: string;
    /** The frontend as the client calls it. */
    frontend: string;
    /** The backend's counter as the frontend calls it. */
    backend: string;
  };
  dataplanes: DemoDataplane[];
  /** Trace/inspection targets: the backend's address and port as workloads dial it. */
  backend: { address: string; port: number };
  stateDir: string;
  /** The control plane's Unix socket, where dataplanes connect (`meshcap dp --cp unix:<socket>`). */
  socket: string;
  api: ControlPlaneClient;
  processes(): Array<{ name: string; pid: number | undefined; running: boolean }>;
  /** Stops everything and removes what the demo made; resolves with what is left (nothing, normally). */
  stop(): Promise<DemoResidue>;
}

const MESHCAP_BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
const APPS_DIR = fileURLToPath(new URL('./apps/', import.meta.url));
const POLICIES_DIR = fileURLToPath(new URL('./policies/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Resolved from REPO_ROOT, the cwd of every process the demo starts (a bare specifier: some module runners lack import.meta.resolve). */
const TSX_LOADER = 'tsx';

/** The example policy files, in the order they are applied. */
export function demoPolicyFiles(): string[] {
  return readdirSync(POLICIES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(POLICIES_DIR, f));
}

/** Whether this process can run the transparent demo, and why not. */
export async function transparentSupport(): Promise<{ ok: boolean; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: `transparent proxying needs Linux (this is ${process.platform})` };
  if (!isRoot()) return { ok: false, reason: 'not running as root: network namespaces and capture rules need root' };
  const probe = `${demoIdFor(process.pid)}-probe`;
  try {
    await runCommand('ip', ['netns', 'add', probe]);
    await runCommand('ip', ['netns', 'del', probe]);
    await runCommand('sh', ['-c', 'command -v iptables-restore && command -v ip6tables-restore']);
  } catch (err) {
    return { ok: false, reason: `cannot make network namespaces or find iptables: ${(err as Error).message.split('\n')[0]}` };
  }
  return { ok: true, reason: '' };
}

function freePort(host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(chosen));
    });
  });
}

/** Everything a demo makes is named after this process, so one process runs one demo at a time. */
let activeRun: DemoRun | undefined;

class DemoRun {
  readonly id = demoIdFor(process.pid);
  readonly stateDir = demoStateDir(this.id);
  readonly procs: DemoProcess[] = [];
  /**
   * The admin token of the demo's cp. MESHCAP_TOKEN when set: the cp takes it over --token-file, and
   * the user's `meshcap apply` sends it, so the demo's own client must send it too (else 401).
   */
  readonly token = process.env.MESHCAP_TOKEN ? loadAdminToken({ env: process.env.MESHCAP_TOKEN, dataDir: this.stateDir }).token : randomBytes(24).toString('hex');
  client!: ControlPlaneClient;
  topology?: Topology;
  private stopping?: Promise<DemoResidue>;
  private readonly onExit = () => this.removeSync();

  constructor(readonly log: (line: string) => void) {
    // A demo that dies without stop() (an uncaught error, process.exit) still removes what it made.
    process.on('exit', this.onExit);
  }

  spawn(name: string, file: string, args: readonly string[], netns?: string): DemoProcess {
    const logFile = join(this.stateDir, 'logs', `${name.replace(/[^a-z0-9-]/gi, '-')}.log`);
    const proc = new DemoProcess({ name, file, args, netns, demoId: this.id, cwd: REPO_ROOT, logFile });
    this.procs.push(proc);
    return proc;
  }

  meshcap(name: string, args: readonly string[], netns?: string): DemoProcess {
    return this.spawn(name, process.execPath, [MESHCAP_BIN, ...args], netns);
  }

  /** Runs a `meshcap` verb to completion; rejects with its output when it fails. */
  async meshcapOnce(name: string, args: readonly string[], netns?: string, timeoutMs = 60_000): Promise<string> {
    const proc = this.meshcap(name, args, netns);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await proc.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`meshcap ${args.join(' ')}${netns ? ` (in ${netns})` : ''} failed (${signal ?? `exit ${code}`}):\n${proc.output()}`);
    return proc.output();
  }

  app(name: WorkloadName, args: readonly string[], netns?: string): DemoProcess {
    return this.spawn(`app ${name}`, process.execPath, ['--import', TSX_LOADER, join(APPS_DIR, `${name}.ts`), ...args], netns);
  }

  stop(): Promise<DemoResidue> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  /** Client first (no new traffic), then dataplanes (they drain) and apps, then the control plane; then the sweep. */
  private async stopInOrder(): Promise<DemoResidue> {
    const stage = (prefix: string) => Promise.all(this.procs.filter((p) => p.name.startsWith(prefix)).map((p) => p.stop('SIGTERM', 5_000)));
    await stage('app client');
    await Promise.all([stage('dp '), stage('app ')]);
    await Promise.all(this.procs.map((p) => p.stop('SIGTERM', 5_000)));
    this.removeSync();
    // Namespace deletion is asynchronous in the kernel for the veths; give it a moment before checking.
    for (let i = 0; i < 20; i++) {
      const left = demoResidue(this.id);
      if (!left.namespaces.length && !left.processes.length && !left.stateDirs.length) break;
      await sleep(100);
    }
    process.off('exit', this.onExit);
    activeRun = undefined;
    return demoResidue(this.id);
  }

  /** Kills everything left, deletes the namespaces and the state directory. Synchronous (usable at exit). */
  removeSync(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    if (this.topology) destroyTopologySync(this.topology);
    removeDemoSync(this.id);
  }
}

/**
 * Starts the demo mesh: the control plane (API + dashboard) in the root namespace, and a frontend,
 * a backend and a client, each with its own `meshcap dp`. In transparent mode every workload lives
 * in its own network namespace with the transparent proxy installed; in explicit mode (no root)
 * everything runs on loopback with explicit listeners. Returns once every dataplane is connected
 * and the client is sending traffic. On failure everything started so far is removed.
 */
export async function startDemo(opts: DemoOptions = {}): Promise<DemoHandle> {
  const log = opts.log ?? (() => {});
  if (activeRun) throw new Error(`a demo (${activeRun.id}) is already running in this process; stop it first`);
  const swept = sweepDeadDemos();
  if (swept.length) log(`removed what earlier demos left behind: ${swept.join(', ')}`);

  let mode: DemoMode;
  let fallbackReason: string | undefined;
  if (opts.mode === 'explicit') mode = 'explicit';
  else {
    const support = await transparentSupport();
    if (support.ok) mode = 'transparent';
    else if (opts.mode === 'transparent') throw new Error(`the transparent demo cannot run: ${support.reason}`);
    else {
      mode = 'explicit';
      fallbackReason = support.reason;
      log(`${support.reason}; running without transparent proxying instead (explicit listeners on loopback, the same dashboard)`);
    }
  }

  const apiPort = opts.apiPort ?? 5681;
  let port: number;
  try {
    port = await freePort('127.0.0.1', apiPort);
  } catch {
    throw new Error(`127.0.0.1:${apiPort} is in use (another meshcap cp or demo?); choose another port with --port`);
  }

  const run = new DemoRun(log);
  activeRun = run;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  const remaining = () => Math.max(1_000, deadline - Date.now());
  try {
    rmSync(run.stateDir, { recursive: true, force: true });
    mkdirSync(join(run.stateDir, 'logs'), { recursive: true, mode: 0o755 });
    const tokenFile = join(run.stateDir, 'admin-token');
    writeFileSync(tokenFile, `${run.token}\n`, { mode: 0o600 });
    const socket = join(run.stateDir, 'cp.sock');
    const api = `http://127.0.0.1:${port}`;
    const client = new ControlPlaneClient(api, run.token);
    run.client = client;

    // 1. The control plane, in the root namespace: API and dashboard on loopback, dataplanes on its Unix socket.
    log(`starting the control plane on ${api}`);
    // xDS on Kuma's 5678 when it is free (Envoy or a gRPC client can then be pointed at it); the demo's dataplanes use xds.sock.
    const xdsPort = await freePort('127.0.0.1', 5678).catch(() => freePort());
    const cp = run.meshcap('cp', ['cp', '--listen', `127.0.0.1:${port}`, '--xds-listen', `127.0.0.1:${xdsPort}`, '--socket', socket, '--data-dir', join(run.stateDir, 'cp'), '--token-file', tokenFile]);
    await cp.aliveWhile(client.waitHealthy(remaining(), () => cp.running));

    // 2. The example policies, before any dataplane connects: their first config already has them.
    if (opts.policies !== false) {
      for (const file of demoPolicyFiles()) {
        await client.apply(readFileSync(file, 'utf8'), file);
        log(`applied ${file.slice(POLICIES_DIR.length)}`);
      }
    }

    // 3. The workloads.
    const built = mode === 'transparent' ? await startTransparent(run, socket, opts) : await startExplicit(run, socket, opts);

    // 4. Wait until every dataplane is connected and runs its first config, then start the traffic.
    await waitConnected(client, run, built.dataplanes.map((d) => d.name), remaining());
    log('every dataplane is connected and runs its config');
    await built.startClient().waitForLine(/"started"/, 30_000);
    log(`the client sends ${opts.rate ?? 4} requests/s to ${built.frontendUrl}`);

    const dashboard = `${api}/gui/`;
    return {
      id: run.id,
      mode,
      fallbackReason,
      token: run.token,
      urls: { api, dashboard, dashboardWithToken: `${dashboard}#token=${run.token}`, frontend: built.frontendUrl, backend: built.backendUrl },
      dataplanes: built.dataplanes,
      backend: built.backend,
      stateDir: run.stateDir,
      socket,
      api: client,
      processes: () => run.procs.filter((p) => p.pid !== undefined).map((p) => ({ name: p.name, pid: p.pid, running: p.running })),
      stop: () => run.stop(),
    };
  } catch (err) {
    log(`start failed, removing what was made: ${(err as Error).message.split('\n')[0]}`);
    await run.stop();
    throw err;
  }
}

interface BuiltWorkloads {
  dataplanes: DemoDataplane[];
  frontendUrl: string;
  backendUrl: string;
  backend: { address: string; port: number };
  /** Starts the client; called once every dataplane runs its first config. */
  startClient: () => DemoProcess;
}

/** Namespaces, capture rules, apps, dataplanes and the client, as Kuma's counter demo on Universal with transparent proxying. */
async function startTransparent(run: DemoRun, socket: string, opts: DemoOptions): Promise<BuiltWorkloads> {
  const log = run.log;
  const topology = planTopology(run.id);
  run.topology = topology;
  log(`creating network namespaces ${run.id}-{${WORKLOADS.join(',')},net}`);
  await createTopology(topology);
  const { frontend, backend, client } = topology.workloads;

  const dataplanes: DemoDataplane[] = [];
  for (const name of WORKLOADS) {
    const w = topology.workloads[name];
    const dataplaneFile = join(run.stateDir, `${name}.dataplane.yaml`);
    writeFileSync(dataplaneFile, toYaml(transparentDataplane(name, topology)));
    const port = name === 'frontend' ? FRONTEND_PORT : name === 'backend' ? BACKEND_PORT : CLIENT_PORT;
    dataplanes.push({
      name,
      mesh: MESH,
      netns: w.netns,
      address: w.ipv4,
      ipv6: w.ipv6,
      inboundListener: `inbound:${w.ipv4}:${port}`,
      adminPort: 9901,
      dataplaneFile,
    });
  }

  // Capture rules first, as Kuma's init container does: the apps and the dataplane start captured.
  await Promise.all(
    WORKLOADS.map(async (name) => {
      await run.meshcapOnce(`install ${name}`, ['install', 'transparent-proxy'], topology.workloads[name].netns);
      log(`installed the transparent proxy in ${topology.workloads[name].netns}`);
    }),
  );

  const backendUrl = `http://${backend.ipv4}:${BACKEND_PORT}`;
  const frontendUrl = `http://${frontend.ipv4}:${FRONTEND_PORT}/`;
  const apps = [run.app('backend', ['--port', String(BACKEND_PORT)], backend.netns), run.app('frontend', ['--port', String(FRONTEND_PORT), '--backend', backendUrl], frontend.netns)];
  await Promise.all(apps.map((a) => a.waitForLine(/"listening"/, 30_000)));

  await startDataplanes(run, socket, dataplanes, (d) => ['--admin-port', String(d.adminPort)]);

  const startClient = () =>
    run.app(
      'client',
      ['--port', String(CLIENT_PORT), '--rate', String(opts.rate ?? 4), '--target', frontendUrl, '--target', `http://[${frontend.ipv6}]:${FRONTEND_PORT}/`, ...directArgs(opts, `${backendUrl}/counter`)],
      client.netns,
    );
  return { dataplanes, frontendUrl, backendUrl, backend: { address: backend.ipv4, port: BACKEND_PORT }, startClient };
}

function directArgs(opts: DemoOptions, url: string): string[] {
  const every = opts.directEvery ?? 10;
  return every > 0 ? ['--direct', url, '--direct-every', String(every)] : [];
}

/** Issues each dataplane's token and starts `meshcap dp` for it (in its namespace when it has one). */
async function startDataplanes(run: DemoRun, socket: string, dataplanes: DemoDataplane[], extraArgs: (d: DemoDataplane) => string[]): Promise<void> {
  for (const d of dataplanes) {
    const tokenFile = join(run.stateDir, `${d.name}.token`);
    writeFileSync(tokenFile, `${await run.client.issueDataplaneToken(d.mesh, d.name)}\n`, { mode: 0o600 });
    // A root `meshcap dp` with transparent proxying runs as the proxy user (UID 5678), which must read its token.
    if (d.netns && isRoot()) chownSync(tokenFile, PROXY_UID, PROXY_GID);
    run.meshcap(`dp ${d.name}`, ['dp', '--dataplane-file', d.dataplaneFile, '--cp', `unix:${socket}`, '--dataplane-token-file', tokenFile, ...extraArgs(d)], d.netns);
    run.log(`started meshcap dp for ${d.name}${d.netns ? ` in ${d.netns}` : ''}`);
  }
}

/** Everything on loopback: the seed's "life without transparent proxying". */
async function startExplicit(run: DemoRun, socket: string, opts: DemoOptions): Promise<BuiltWorkloads> {
  const ports: ExplicitPorts = {
    clientApp: await freePort(),
    clientInbound: await freePort(),
    frontendApp: await freePort(),
    frontendInbound: await freePort(),
    backendApp: await freePort(),
    backendInbound: await freePort(),
    frontendToBackend: await freePort(),
    clientToFrontend: await freePort(),
    clientToBackend: await freePort(),
    admin: { frontend: await freePort(), backend: await freePort(), client: await freePort() },
  };
  const dataplanes: DemoDataplane[] = WORKLOADS.map((name) => {
    const dataplaneFile = join(run.stateDir, `${name}.dataplane.yaml`);
    writeFileSync(dataplaneFile, toYaml(explicitDataplane(name, ports)));
    const inboundPort = name === 'frontend' ? ports.frontendInbound : name === 'backend' ? ports.backendInbound : ports.clientInbound;
    return {
      name,
      mesh: MESH,
      address: EXPLICIT_ADDRESS[name],
      inboundListener: `inbound:${EXPLICIT_ADDRESS[name]}:${inboundPort}`,
      adminPort: ports.admin[name],
      dataplaneFile,
    };
  });
  const backendUrl = `http://127.0.0.1:${ports.frontendToBackend}`;
  const apps = [
    run.app('backend', ['--host', '127.0.0.1', '--port', String(ports.backendApp)]),
    run.app('frontend', ['--host', '127.0.0.1', '--port', String(ports.frontendApp), '--backend', backendUrl]),
  ];
  await Promise.all(apps.map((a) => a.waitForLine(/"listening"/, 30_000)));
  await startDataplanes(run, socket, dataplanes, (d) => ['--admin-port', String(d.adminPort)]);
  const frontendUrl = `http://127.0.0.1:${ports.clientToFrontend}/`;
  const startClient = () =>
    run.app('client', ['--host', '127.0.0.1', '--port', String(ports.clientApp), '--rate', String(opts.rate ?? 4), '--target', frontendUrl, ...directArgs(opts, `http://127.0.0.1:${ports.clientToBackend}/counter`)]);
  return { dataplanes, frontendUrl, backendUrl, backend: { address: EXPLICIT_ADDRESS.backend, port: ports.backendInbound }, startClient };
}

interface DataplaneRow {
  name?: string;
  connected?: boolean;
  /** The version the dataplane ACKed; null before its first config runs. */
  configVersion?: string | null;
  expectedVersion?: string | null;
  pendingVersion?: string | null;
  xdsStreams?: number;
  errors?: Array<{ message?: string }>;
}

/** Where a dataplane that is not ready stands, for the error that names it: which side to look at. */
function notReadyState(r: DataplaneRow): string {
  if (r.connected !== true) return 'not connected';
  const xds = `${r.xdsStreams ?? 0} xDS streams, compiled ${r.expectedVersion ?? 'nothing'}, sent and not ACKed ${r.pendingVersion ?? 'nothing'}`;
  const error = r.errors?.[0]?.message;
  return `connected, no config ACKed yet: ${xds}${error ? `; last error: ${error}` : ''}`;
}

/** Polls the control plane until every named dataplane reports connected (bounded); names the missing ones. */
async function waitConnected(client: ControlPlaneClient, run: DemoRun, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = names;
  // Why each missing one is missing: not connected at all, or connected with no config ACKed yet.
  let state = new Map<string, string>();
  while (Date.now() < deadline) {
    const dead = run.procs.find((p) => p.name.startsWith('dp ') && !p.running);
    if (dead) throw new Error(`${dead.name} exited; its output:\n${dead.output() || '(none)'}`);
    try {
      const body = await client.getJson<unknown>(`/api/meshes/${MESH}/dataplanes`);
      const rows: DataplaneRow[] = Array.isArray(body) ? body : ((body as { items?: DataplaneRow[] }).items ?? []);
      missing = names.filter((n) => !rows.some((r) => r.name === n && r.connected === true && Boolean(r.configVersion)));
      state = new Map(rows.map((r) => [r.name ?? '', notReadyState(r)]));
      if (missing.length === 0) return;
    } catch {
      // not answering yet
    }
    await sleep(250);
  }
  const outputs = run.procs.filter((p) => missing.some((m) => p.name === `dp ${m}`)).map((p) => `--- ${p.name}:\n${p.output() || '(no output)'}`);
  const why = missing.map((m) => `${m} (${state.get(m) ?? 'unknown to the control plane'})`);
  throw new Error(`dataplanes not connected after ${timeoutMs} ms: ${why.join(', ')}\n${outputs.join('\n')}`);
}
