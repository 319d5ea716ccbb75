// Helpers for the dataplane's real-kernel tests: dataplanes, apps and probes inside lab hosts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host, HostProcess } from '@meshcap/testkit';
import { installTransparentProxy, parseTransparentProxyConfig } from '../../capture/index.ts';
import type { FlowRecord } from '../../flows/index.ts';
import { proxyUserCommand } from '../proxy-user.ts';

const here = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

export const fixtures = {
  dataplane: here('dataplane.ts'),
  httpApp: here('http-app.mjs'),
  tcpApp: here('tcp-app.mjs'),
  tcpProbe: here('tcp-probe.mjs'),
  wsProbe: here('ws-probe.mjs'),
};

/** Runs a command in the host; resolves with its exit code and output whatever the code. */
export function hostRun(host: Host, file: string, args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return host.run(file, args, { allowFail: true, timeoutMs });
}

/** The default `meshcap install transparent-proxy` in the host (the capture area's installer). */
export async function installDefaultCapture(host: Host, options: Record<string, unknown> = {}): Promise<void> {
  await installTransparentProxy(parseTransparentProxyConfig(options), { netns: host.netns });
}

/** Files the dataplanes read; they run as the proxy user, so the directory is world-readable. */
const fileDir = mkdtempSync(join(tmpdir(), 'meshcap-proxy-test-'));
chmodSync(fileDir, 0o755);
let fileSeq = 0;
process.on('exit', () => rmSync(fileDir, { recursive: true, force: true }));

export function writeDataplaneFile(yaml: string): string {
  const path = join(fileDir, `dp-${process.pid}-${++fileSeq}.yaml`);
  writeFileSync(path, yaml, { mode: 0o644 });
  return path;
}

export interface RunningDp {
  proc: HostProcess;
  host: Host;
  adminPort: number;
  uid: number;
  /** GET on the admin endpoint from inside the host. */
  admin(path: string): Promise<string>;
  adminJson<T = Record<string, unknown>>(path: string): Promise<T>;
  flows(limit?: number): Promise<FlowRecord[]>;
  /** Stats as a name → value map. */
  stats(): Promise<Record<string, number>>;
}

export interface DpOptions {
  /** `proxy-user`: as `meshcap dp` runs under root (UID 5678 with the proxy's capabilities); `nobody`: no privileges at all. */
  as?: 'root' | 'proxy-user' | 'nobody';
  adminPort?: number;
  name?: string;
  args?: string[];
}

export async function startDp(host: Host, yaml: string, opts: DpOptions = {}): Promise<RunningDp> {
  const adminPort = opts.adminPort ?? 9901;
  const args = [fixtures.dataplane, '--file', writeDataplaneFile(yaml), '--admin-port', String(adminPort), ...(opts.name ? ['--name', opts.name] : []), ...(opts.args ?? [])];
  const node = [process.execPath, '--import', 'tsx', ...args];
  const as = opts.as ?? 'proxy-user';
  const argv = as === 'root' ? node : as === 'proxy-user' ? [...proxyUserCommand(), ...node] : ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', ...node];
  const proc = host.spawn(argv[0]!, argv.slice(1));
  const ready = JSON.parse(await proc.waitForLine(/"event":"ready"/, 30_000)) as { uid: number };
  const admin = async (path: string): Promise<string> => (await hostRun(host, 'curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${adminPort}${path}`])).stdout;
  return {
    proc,
    host,
    adminPort,
    uid: ready.uid,
    admin,
    adminJson: async <T>(path: string) => JSON.parse(await admin(path)) as T,
    flows: async (limit = 100) => ((JSON.parse(await admin(`/flows?limit=${limit}`)) as { flows: FlowRecord[] }).flows),
    stats: async () => {
      const out: Record<string, number> = {};
      for (const line of (await admin('/stats')).split('\n')) {
        const i = line.lastIndexOf(': ');
        if (i > 0) out[line.slice(0, i)] = Number(line.slice(i + 2));
      }
      return out;
    },
  };
}

export async function startHttpApp(host: Host, port: number, hostAddress?: string): Promise<HostProcess> {
  const proc = host.spawnNode(fixtures.httpApp, ['--port', String(port), ...(hostAddress ? ['--host', hostAddress] : [])]);
  await proc.waitForLine(/"listening"/);
  return proc;
}

export async function startTcpApp(host: Host, port: number, mode = 'echo', hostAddress?: string): Promise<HostProcess> {
  const proc = host.spawnNode(fixtures.tcpApp, ['--port', String(port), '--mode', mode, ...(hostAddress ? ['--host', hostAddress] : [])]);
  await proc.waitForLine(/"listening"/);
  return proc;
}

export interface ProbeResult {
  connected?: boolean;
  data?: string;
  error?: string;
  ended?: boolean;
  closed?: boolean;
  elapsedMs: number;
  localAddress?: string;
  localPort?: number;
}

/** Runs tcp-probe.mjs in the host and returns its result line. */
export async function tcpProbe(host: Host, address: string, port: number, mode: string, extra: string[] = []): Promise<ProbeResult> {
  const proc = host.spawnNode(fixtures.tcpProbe, ['--host', address, '--port', String(port), '--mode', mode, ...extra]);
  return JSON.parse(await proc.waitForLine(/"result"/, 20_000)) as ProbeResult;
}

/** curl in the host; returns stdout (`-w` output included). */
export async function curl(host: Host, args: string[]): Promise<string> {
  const r = await hostRun(host, 'curl', ['-sS', '--max-time', '15', ...args]);
  if (r.code !== 0) throw new Error(`curl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Polls `fn` until it returns a truthy value (bounded); flows are published when a connection ends. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Packet counter of the first rule in `iptables-save -c` output matching `re`. */
export function ruleCounter(save: string, re: RegExp): number {
  const line = save.split('\n').find((l) => re.test(l));
  if (!line) throw new Error(`no rule matching ${re} in:\n${save}`);
  return Number(/^\[(\d+):/.exec(line)?.[1] ?? 'NaN');
}
