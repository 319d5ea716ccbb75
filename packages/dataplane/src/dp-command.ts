import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  compileProxyConfig,
  configDumpProvider,
  DEFAULT_ADMIN_PORT,
  durationToMs,
  ENVOY_PROTOS_JSON_ENV,
  exitWithProxyUserParent,
  loadDataplaneFile,
  MeshcapError,
  needsProxyUser,
  PROXY_GID,
  PROXY_UID,
  proxyUserChildEnv,
  proxyUserCommand,
  runDataplaneProcess,
  AccessLogSinks,
  bootstrapError,
  engineConfigFromXds,
  loadEnvoyBootstrap,
  tcpRelays,
  type DataplaneHandle,
  type DataplaneOptions,
} from '@meshcap/core';
import { attachToControlPlane, controlPlaneCa, dataplaneChannelFlags, dataplaneChannelHelp, DATAPLANE_TOKEN_ENV, readDataplaneToken } from './channel/dp-control-plane.ts';
import { CliUsageError, type CliCommand, type CliIO } from './cli/command.ts';
import { EngineWorkers, MAX_WORKERS } from './workers/engine-workers.ts';
import type { EngineInput } from './workers/protocol.ts';
import { DEFAULT_RUNTIME_ROOT, installDpRuntime, RUNTIME_DIR_ENV, type DpRuntime } from './dp-runtime.ts';

const HELP = `Usage: meshcap dp --dataplane-file FILE [flags]
       meshcap dp --bootstrap FILE [flags]

Runs a dataplane (kuma-dp and Envoy in one process) for the Dataplane resource in FILE, inside the
workload's network namespace.

With --bootstrap it runs an Envoy bootstrap instead (YAML or JSON, like \`envoy -c\`, no control
plane): \`node.id\` <mesh>.<name>, \`admin.address\`, and the listeners and clusters of
\`static_resources\`, built and enforced exactly as if received over xDS. Anything meshcap dp cannot
honour is refused with the file and the field path.

With \`networking.transparentProxying\` it is a transparent proxy: it listens on the capture ports
(15006 inbound, 15001 outbound; IPv4 and IPv6), reads each connection's original destination and
hands it to the matching inbound/outbound listener or the passthrough. Run it next to
\`meshcap install transparent-proxy\`. Started as root, it runs itself as the proxy user (UID 5678,
Kuma's kuma-dp user, whose traffic the capture rules leave alone) with CAP_NET_ADMIN, CAP_NET_RAW and
CAP_NET_BIND_SERVICE only, so its own upstream connections are never captured again.

Without transparentProxying it listens on each inbound \`port\` and forwards to
serviceAddress:servicePort, and on each outbound's local port; no root needed.

FILE may hold several Dataplanes: --name picks the one to run, the others tell where the services
its outbounds call live (what a control plane would otherwise send).

Flags:
  --dataplane-file FILE   the Dataplane resource (YAML or JSON), Kuma's format
  --bootstrap FILE        an Envoy bootstrap with static_resources (instead of --dataplane-file)
  --name NAME             which Dataplane of FILE to run (needed when it holds several)
  --admin-port N          admin endpoint port on --admin-address (default: networking.admin.port, the
                          bootstrap's admin.address, or ${DEFAULT_ADMIN_PORT}; 0 picks one)
  --admin-address ADDR    admin endpoint address, loopback only (default the bootstrap's admin.address, or 127.0.0.1)
  --proxy-uid UID         the proxy user to run as when started as root (default ${PROXY_UID})
  --proxy-gid GID         its group (default ${PROXY_GID})
  --runtime-dir DIR       where root installs the proxy user's copy of the dataplane (one bundled file
                          and the native addon, root-owned, world-readable, per content hash; default
                          ${RUNTIME_DIR_ENV} or ${DEFAULT_RUNTIME_ROOT})
  --no-proxy-user         stay root: only with capture rules that exclude the proxy otherwise (e.g. --upstream-mark)
  --upstream-mark N       set SO_MARK N on every upstream socket (needs CAP_NET_ADMIN); pair it with
                          \`install transparent-proxy --exclude-outbound-mark N\` to exclude the proxy by mark
  --tproxy-mark N         TPROXY inbound: mark of the proxy's connections to the app (default 0x539,
                          as \`install transparent-proxy --tproxy-mark\`)
  --connect-timeout DUR   upstream connect timeout (default 5s)
  --idle-timeout DUR      idle timeout over both directions of a connection (default 1h; 0 disables)
  --drain-time DUR        on SIGTERM, how long open connections may finish (default 5s)
  --flow-buffer N         flows kept for /flows (default 10000)
  --tcp-relay KIND        raw TCP listeners' relay: native (default: in C, epoll + splice, no JavaScript
                          per chunk) or stream (Node streams); TLS always uses stream
  --workers N             engine threads on the same listeners (default 1; up to ${MAX_WORKERS} here): each
                          worker has its own SO_REUSEPORT socket per port and the kernel spreads
                          connections over them; one admin (/stats sums what the workers report
                          every 0.5 s, ?format=json lists each; /server_info says how many),
                          one control plane connection, one flow stream
${dataplaneChannelHelp}

Admin endpoints (127.0.0.1:9901): /ready /stats /stats/prometheus /listeners /clusters /flows /config_dump

Examples:
  meshcap dp --dataplane-file dp.yaml
  meshcap dp --bootstrap envoy.yaml
  ip netns exec web meshcap dp --dataplane-file mesh.yaml --name web --admin-port 9901
`;

/** Set in the environment of the proxy-user child: the file as the parent read it (it may be unreadable to UID 5678). */
const FILE_TEXT_ENV = 'MESHCAP_DP_FILE_TEXT';

interface DpFlags {
  /** The Dataplane file, or the bootstrap when `bootstrap` is set. */
  file: string;
  bootstrap: boolean;
  name?: string;
  adminPort?: number;
  adminAddress?: string;
  proxyUid: number;
  proxyGid: number;
  proxyUser: boolean;
  runtimeDir?: string;
  upstreamMark: number;
  tproxyMark?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  drainMs?: number;
  flowBuffer?: number;
  tcpRelay?: 'native' | 'stream';
  /** Engine worker threads (`--workers`); 1: the engine runs in the main thread, as without the flag. */
  workers: number;
  /** Control plane(s) to connect to (`--cp`, repeatable for replicas); standalone without it. */
  cp?: string[];
  /** ADS server(s) (`--xds`); default from `--cp`. */
  xds?: string[];
  tokenFile?: string;
  /** `--ca-cert`: the CA https:// control planes are verified with. */
  caCert?: string;
}

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new CliUsageError(`--${name}: "${value}" is not a whole number from ${min} to ${max}`);
  return n;
}

function durationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return durationToMs(value);
  } catch {
    throw new CliUsageError(`--${name}: "${value}" is not a duration (such as 500ms, 5s, 1m, 1h)`);
  }
}

function parseFlags(args: string[]): DpFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        'dataplane-file': { type: 'string' },
        bootstrap: { type: 'string' },
        name: { type: 'string' },
        'admin-port': { type: 'string' },
        'admin-address': { type: 'string' },
        'proxy-uid': { type: 'string' },
        'proxy-gid': { type: 'string' },
        'no-proxy-user': { type: 'boolean' },
        'runtime-dir': { type: 'string' },
        'upstream-mark': { type: 'string' },
        'tproxy-mark': { type: 'string' },
        'connect-timeout': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'drain-time': { type: 'string' },
        'flow-buffer': { type: 'string' },
        'tcp-relay': { type: 'string' },
        workers: { type: 'string' },
        ...dataplaneChannelFlags,
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v['dataplane-file'] === undefined && v.bootstrap === undefined) throw new CliUsageError('--dataplane-file is required (the Dataplane resource to run), or --bootstrap (an Envoy bootstrap)');
  if (v['dataplane-file'] !== undefined && v.bootstrap !== undefined) throw new CliUsageError('--dataplane-file and --bootstrap: give one of them');
  if (v.bootstrap !== undefined && v.name !== undefined) throw new CliUsageError('--name: a bootstrap names its dataplane in node.id');
  if (v.bootstrap !== undefined && v.cp !== undefined) throw new CliUsageError('--cp: a bootstrap runs without a control plane');
  const tcpRelay = v['tcp-relay'];
  if (tcpRelay !== undefined && tcpRelay !== 'native' && tcpRelay !== 'stream') throw new CliUsageError(`--tcp-relay: "${tcpRelay}" is not native or stream`);
  const workers = intFlag('workers', v.workers, 1, MAX_WORKERS) ?? 1;
  return {
    file: (v['dataplane-file'] ?? v.bootstrap)!,
    bootstrap: v.bootstrap !== undefined,
    name: v.name,
    adminPort: intFlag('admin-port', v['admin-port'], 0, 65535),
    adminAddress: v['admin-address'],
    proxyUid: intFlag('proxy-uid', v['proxy-uid'], 1, 0x7fffffff) ?? PROXY_UID,
    proxyGid: intFlag('proxy-gid', v['proxy-gid'], 1, 0x7fffffff) ?? PROXY_GID,
    proxyUser: !v['no-proxy-user'],
    runtimeDir: v['runtime-dir'],
    upstreamMark: intFlag('upstream-mark', v['upstream-mark'], 0, 0xffffffff) ?? 0,
    tproxyMark: intFlag('tproxy-mark', v['tproxy-mark'], 1, 0xffffffff),
    connectTimeoutMs: durationFlag('connect-timeout', v['connect-timeout']),
    idleTimeoutMs: durationFlag('idle-timeout', v['idle-timeout']),
    drainMs: durationFlag('drain-time', v['drain-time']),
    flowBuffer: intFlag('flow-buffer', v['flow-buffer'], 1, 10_000_000),
    tcpRelay,
    workers,
    cp: v.cp,
    xds: v.xds,
    tokenFile: v['dataplane-token-file'],
    caCert: v['ca-cert'],
  };
}

function readDataplaneFile(path: string, flag: string): string {
  const passed = process.env[FILE_TEXT_ENV];
  if (passed !== undefined) return passed;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** What the file says to run: a Dataplane resource, or an Envoy bootstrap's resources (validated as the engine will decode them). */
function whatToRun(flags: DpFlags, text: string): { start: Pick<DataplaneOptions, 'dataplane' | 'services' | 'xds'>; transparent: boolean; admin?: { address: string; port: number } } {
  if (!flags.bootstrap) {
    const { dataplane, services } = loadDataplaneFile(text, flags.file, flags.name);
    // Validate before anything else, so a bad file fails the same way as root or not.
    compileProxyConfig(dataplane, { services });
    return { start: { dataplane, services }, transparent: dataplane.networking.transparentProxying !== undefined };
  }
  const b = loadEnvoyBootstrap(text, flags.file);
  let transparent: boolean;
  try {
    transparent = engineConfigFromXds(b.resources, { accessLogs: new AccessLogSinks() }).config.transparent;
  } catch (err) {
    throw bootstrapError(err, flags.file, b.resources);
  }
  return { start: { xds: { mesh: b.mesh, name: b.name, version: b.version, resources: b.resources } }, transparent, admin: b.admin };
}

/**
 * Runs this same command again as the proxy user (setpriv, ambient capabilities) from the installed
 * runtime (see dp-runtime.ts: the checkout may be unreadable to that user), forwarding signals, and
 * returns its exit code. The parent only waits.
 */
function runAsProxyUser(flags: DpFlags, args: string[], runtime: DpRuntime, text: string, io: CliIO): Promise<number> {
  const [file, ...prefix] = proxyUserCommand(flags.proxyUid, flags.proxyGid);
  const env = { ...process.env, ...proxyUserChildEnv(), [ENVOY_PROTOS_JSON_ENV]: runtime.protos, ...(Buffer.byteLength(text) < 100_000 ? { [FILE_TEXT_ENV]: text } : {}) };
  io.stdout(`meshcap dp: started as root; running as the proxy user ${flags.proxyUid}:${flags.proxyGid} with CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE`);
  io.stdout(`meshcap dp: proxy-user runtime ${runtime.dir}${runtime.reused ? '' : ' (installed)'}`);
  const child = spawn(file, [...prefix, process.execPath, runtime.entry, 'dp', ...args], { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      io.stderr(`error: cannot start ${file}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
    });
  });
}

function describe(handle: DataplaneHandle): string[] {
  const config = handle.config();
  const mode = config.transparent ? `transparent (inbound ${config.inboundMode}, outbound redirect)` : 'explicit (no transparent proxying)';
  const uid = process.getuid?.();
  const lines = [`meshcap dp: dataplane ${handle.mesh}/${handle.name}, ${mode}, UID ${uid}`];
  const width = Math.max(...handle.listeners().map((l) => l.name.length));
  for (const l of handle.listeners()) {
    const where = l.bound ? `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}` : '(hand-off)';
    lines.push(`  ${l.name.padEnd(width)}  ${where.padEnd(22)} ${l.protocol.padEnd(4)} → ${l.cluster}`);
  }
  if (handle.admin) lines.push(`  admin: http://${handle.admin.address}:${handle.admin.port}`);
  lines.push('meshcap dp: ready');
  return lines;
}

/**
 * The admin endpoints answer /config_dump, /flows and /quitquitquit without a token, so they are
 * reachable only from the dataplane's own namespace: loopback addresses, never a routable one.
 */
function requireLoopbackAdmin(address: string | undefined, what: string): void {
  if (address === undefined || address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) return;
  throw new CliUsageError(`${what}: "${address}" is not a loopback address; the dataplane admin listens on loopback only (127.0.0.1 or ::1)`);
}

export const dpCommand: CliCommand = {
  path: ['dp'],
  summary: 'run a dataplane (transparent or explicit proxy) for a Dataplane resource',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = parseFlags(args);
    const text = readDataplaneFile(flags.file, flags.bootstrap ? '--bootstrap' : '--dataplane-file');
    const { start, transparent, admin } = whatToRun(flags, text);
    requireLoopbackAdmin(flags.adminAddress ?? admin?.address, flags.adminAddress !== undefined ? '--admin-address' : 'the bootstrap\'s admin.address');
    // Read as started (root), before dropping to the proxy user; the child gets it in its environment.
    const token = flags.cp ? readDataplaneToken(flags.tokenFile) : undefined;
    if (token) process.env[DATAPLANE_TOKEN_ENV] = token;
    if (flags.proxyUser && needsProxyUser(transparent)) {
      // Everything that can fail does so here, before anything starts.
      proxyUserCommand(flags.proxyUid, flags.proxyGid);
      const runtime = await installDpRuntime(flags.runtimeDir);
      return runAsProxyUser(flags, args, runtime, text, io);
    }
    // The proxy-user child of a root `meshcap dp` must not run on if that parent is killed.
    exitWithProxyUserParent();

    const log = (level: 'info' | 'warn' | 'error', message: string) => (level === 'info' ? io.stdout(`meshcap dp: ${message}`) : io.stderr(`meshcap dp: ${level}: ${message}`));
    const { handle, exited } = await runDataplaneProcess({
      ...start,
      admin: { address: flags.adminAddress ?? admin?.address, port: flags.adminPort ?? admin?.port },
      upstreamMark: flags.upstreamMark,
      tproxyMark: flags.tproxyMark,
      connectTimeoutMs: flags.connectTimeoutMs,
      idleTimeoutMs: flags.idleTimeoutMs,
      flowBufferSize: flags.flowBuffer,
      ...(flags.tcpRelay ? { relay: tcpRelays[flags.tcpRelay] } : {}),
      drainMs: flags.drainMs,
      log,
      ...(flags.workers > 1
        ? {
            thread: 'control' as const,
            around: async (control: DataplaneHandle) => {
              const input: EngineInput = start.dataplane
                ? { kind: 'dataplane', version: '', dataplane: start.dataplane, services: start.services }
                : { kind: 'xds', ...start.xds! };
              const engine = { upstreamMark: flags.upstreamMark, tproxyMark: flags.tproxyMark, connectTimeoutMs: flags.connectTimeoutMs, idleTimeoutMs: flags.idleTimeoutMs, relay: flags.tcpRelay ?? 'native' };
              const workers = await EngineWorkers.start(control, { count: flags.workers, input, engine, log });
              log('info', `${flags.workers} engine workers on the listeners (SO_REUSEPORT)`);
              return workers.handle();
            },
          }
        : {}),
    });
    // Standalone, the config it runs is the Dataplane file's: /config_dump shows that, as Envoy's
    // admin always has one (with a control plane, each version it sends replaces this).
    // (From --bootstrap the engine already shows the resources it runs.)
    if (!flags.bootstrap) {
      const listening = handle.admin ? { address: handle.admin.address, port: handle.admin.port } : undefined;
      handle.setConfigDump(configDumpProvider(() => ({ config: handle.config(), ...(listening ? { admin: listening } : {}), ...(flags.tproxyMark !== undefined ? { tproxyMark: flags.tproxyMark } : {}) })));
    }
    for (const line of describe(handle)) io.stdout(line);
    const caPem = flags.cp ? await controlPlaneCa(flags.cp, flags.caCert, log) : undefined;
    const cp = flags.cp && token && start.dataplane ? await attachToControlPlane(handle, { url: flags.cp, xds: flags.xds, token, caPem, dataplane: start.dataplane, bufferSize: flags.flowBuffer, log }) : undefined;
    const code = await exited;
    await cp?.close();
    io.stdout(`meshcap dp: stopped`);
    return code;
  },
};
