import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import type { Host, HostProcess } from '@meshcap/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `meshcap cp` and `meshcap dp` as real processes for the namespace tests: the control plane in the
 * root namespace with its Unix socket in `dir`, dataplanes in the lab's namespaces.
 */

export const BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
export const TOKEN = 'integration-admin-token-0123456789';

export interface Cp {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Starts (or restarts) the control plane whose socket and data live in `dir`. */
export async function startCp(dir: string): Promise<Cp> {
  const socket = join(dir, 'cp.sock');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [BIN, 'cp', '--listen', '127.0.0.1:0', '--socket', socket, '--data-dir', dataDir, '--no-gui'], {
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

/** curl inside a host (stdin closed); the HTTP status (`000` when no response came). */
export function curl(host: Host, url: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', host.netns, 'curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', ...args, url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', () => resolve(out));
  });
}


/**
 * Starts `meshcap dp` in each host from its Dataplane YAML, connected to the control plane over its
 * socket in `dir` with a fresh token; resolves once every one said it is connected.
 */
export async function startDataplanes(cp: Cp, dir: string, dataplanes: ReadonlyArray<{ name: string; host: Host; yaml: string }>): Promise<HostProcess[]> {
  const procs: HostProcess[] = [];
  for (const { name, host, yaml } of dataplanes) {
    const { token } = await api<{ token: string }>(cp, '/api/tokens/dataplane', { method: 'POST', body: JSON.stringify({ name }) });
    const tokenFile = join(dir, `${name}.token`);
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, yaml, { mode: 0o644 });
    procs.push(host.spawn(process.execPath, [BIN, 'dp', '--dataplane-file', file, '--cp', `unix:${join(dir, 'cp.sock')}`, '--dataplane-token-file', tokenFile]));
  }
  await Promise.all(procs.map((d) => d.waitForLine(/connected to the control plane as default\//, 30_000)));
  return procs;
}

/** Stops the control plane (if running) and removes `dir`. */
export async function stopCp(cp: Cp | undefined, dir: string): Promise<void> {
  if (cp && cp.child.exitCode === null) {
    cp.child.kill('SIGTERM');
    await cp.exited;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** `install transparent-proxy` with its defaults in each host, and an HTTP app answering `ok` on `port` in `app`. */
export async function meshHosts(hosts: readonly Host[], app: Host, port: number): Promise<void> {
  for (const h of hosts) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
  const proc = app.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port},()=>console.log('listening'))`]);
  await proc.waitForLine(/listening/);
}

/** A transparent-mode Dataplane; `networking` holds its inbound/outbound lines. */
export const dataplaneYaml = (name: string, address: string, networking: string): string => `type: Dataplane
mesh: default
name: ${name}
networking:
  address: ${address}
${networking}  transparentProxying: {}
`;

/** The backend of both tests: one HTTP inbound on 5000. */
export const HTTP_INBOUND_5000 = '  inbound:\n    - port: 5000\n      tags: { kuma.io/service: backend, kuma.io/protocol: http }\n';
