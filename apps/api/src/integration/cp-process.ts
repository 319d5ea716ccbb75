import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTransparentProxy, parseTransparentProxyConfig, type FlowRecord } from '@meshcap/core';
import { dataplaneYaml, type DataplaneFixture, type InboundFixture } from '@meshcap/core/testing';
import type { Host, HostProcess } from '@meshcap/testkit';

/**
 * The real `meshcap cp` as a child process for the real-kernel integration tests: its API on
 * 127.0.0.1 and the Unix socket dataplanes in network namespaces connect to. Dataplanes run as the
 * proxy user, so the socket's directory and the files they read are world-readable.
 */

export const BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
export const TOKEN = 'integration-admin-token-0123456789';

export interface CpDir {
  dir: string;
  socket: string;
  dataDir: string;
}

export function cpDir(prefix: string): CpDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return { dir, socket: join(dir, 'cp.sock'), dataDir: join(dir, 'data') };
}

export interface Cp {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Starts `meshcap cp` on `where` (same data directory each time, so a second start is a restart). */
export async function startCp(where: CpDir): Promise<Cp> {
  mkdirSync(where.dataDir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [BIN, 'cp', '--listen', '127.0.0.1:0', '--socket', where.socket, '--data-dir', where.dataDir, '--no-gui'], {
    env: { ...process.env, MESHCAP_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshcap cp did not start:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('meshcap cp: ready')) {
        clearTimeout(timer);
        resolve(/API\s+(http:\/\/\S+)/.exec(out)![1]!);
      }
    });
    void exited.then((code) => reject(new Error(`meshcap cp exited (${code}):\n${out}\n${err}`)));
  });
  return { child, url, exited };
}

export async function stopCp(cp: Cp | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (cp && cp.child.exitCode === null) {
    cp.child.kill(signal);
    await cp.exited;
  }
}

export async function api<T>(cp: Cp, path: string, init: { method?: string; body?: string; type?: string } = {}): Promise<T> {
  const res = await fetch(`${cp.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': init.type ?? 'application/json' } : {}) },
    body: init.body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The newest `limit` flows the control plane holds for one dataplane. */
export async function flowsOf(cp: Cp, dataplane: string, limit: number): Promise<FlowRecord[]> {
  return (await api<{ items: FlowRecord[] }>(cp, `/api/flows?dataplane=${encodeURIComponent(dataplane)}&limit=${limit}`)).items;
}

/** Polls `check` (bounded) until it returns something other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A transparent Dataplane in mesh `default` (capture installed in its host, Kuma's default ports). */
export const transparentDataplaneYaml = (dp: Omit<DataplaneFixture, 'mesh' | 'transparentProxying'>): string => dataplaneYaml({ mesh: 'default', ...dp, transparentProxying: {} });

/** The HTTP inbound of `backend` on port 5000, for `transparentDataplaneYaml`. */
export const BACKEND_INBOUND: InboundFixture[] = [{ port: 5000, service: 'backend', protocol: 'http' }];

/**
 * Starts `meshcap dp` (as root: it drops to the proxy user) in each host, with its own dataplane
 * token and file (and `args`, more flags), connected to the control plane's socket; resolves once all are connected.
 */
export async function startDataplanes(cp: Cp, where: CpDir, dps: ReadonlyArray<{ name: string; host: Host; yaml: string; args?: readonly string[] }>, timeoutMs = 30_000): Promise<HostProcess[]> {
  const procs: HostProcess[] = [];
  for (const { name, host, yaml, args = [] } of dps) {
    const { token } = await api<{ token: string }>(cp, '/api/tokens/dataplane', { method: 'POST', body: JSON.stringify({ name }) });
    const tokenFile = join(where.dir, `${name}.token`);
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const file = join(where.dir, `${name}.yaml`);
    writeFileSync(file, yaml, { mode: 0o644 });
    procs.push(host.spawn(process.execPath, [BIN, 'dp', '--dataplane-file', file, '--cp', `unix:${where.socket}`, '--dataplane-token-file', tokenFile, ...args]));
  }
  await Promise.all(procs.map((d) => d.waitForLine(/connected to the control plane as default\//, timeoutMs)));
  return procs;
}

/** curl inside a host (stdin closed); the HTTP status (`000` when no response came). */
export function curl(host: Host, url: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', host.netns, 'curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', ...args, url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', () => resolve(out));
  });
}

/** `install transparent-proxy` with its defaults in each host, and an HTTP app answering `ok` on `port` in `app`. */
export async function meshHosts(hosts: readonly Host[], app: Host, port: number): Promise<void> {
  for (const h of hosts) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
  const proc = app.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port},()=>console.log('listening'))`]);
  await proc.waitForLine(/listening/);
}
