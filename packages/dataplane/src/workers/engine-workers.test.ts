import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvoyBootstrap, startDataplane, type DataplaneHandle, type FlowRecord } from '@meshcap/core';
import { freePort } from '@meshcap/testkit';
import { dpMain } from '../main.ts';
import { bootstrap as withListeners } from '../testing/bootstrap.ts';
import { EngineWorkers, MAX_WORKERS } from './engine-workers.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshcap-dp-workers-'));

/** `n` requests, each on a connection of its own (so the kernel's 4-tuple hash picks a worker for each). */
async function requests(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/r${i}`, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    expect(body).toBe('from app');
  }
}

type StatsJson = { stats: Array<{ name: string; value: number }>; workers: Array<{ worker: number; running: boolean; restarts: number; stats: Array<{ name: string; value: number }> }> };

function stat(list: Array<{ name: string; value: number }>, name: string): number {
  return list.find((s) => s.name === name)?.value ?? 0;
}

/** Polls until `ok` holds for the admin's JSON stats (workers report every 500 ms), or 10 s pass. */
async function statsWhen(admin: string, ok: (s: StatsJson) => boolean): Promise<StatsJson> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = (await (await fetch(`${admin}/stats?format=json`)).json()) as StatsJson;
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fixture's bootstrap with one plain HTTP listener on each port. */
function bootstrap(appPort: number, ports: number[]): string {
  return withListeners(appPort, ports.map((port) => ({ port })));
}

let app: http.Server;
let appPort: number;
beforeAll(async () => {
  app = http.createServer((_req, res) => res.end('from app'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;
});
afterAll(() => app.close());

describe('meshcap dp --workers: the flag', () => {
  async function cli(args: string[]): Promise<{ code: number; err: string }> {
    const err: string[] = [];
    const code = await dpMain(args, { stdout: () => {}, stderr: (t) => err.push(t) });
    return { code, err: err.join('\n') };
  }

  it('refuses what is not a whole number of workers from 1 to 4 per core, naming the flag', async () => {
    const f = join(dir, 'flag.yaml');
    writeFileSync(f, bootstrap(appPort, [await freePort()]));
    for (const bad of ['0', '-1', '1.5', 'two', '', String(MAX_WORKERS + 1)]) {
      expect(await cli(['dp', '--bootstrap', f, `--workers=${bad}`])).toEqual({ code: 2, err: `error: --workers: "${bad}" is not a whole number from 1 to ${MAX_WORKERS}` });
    }
  });
});

describe('meshcap dp --workers 2, as a process', () => {
  it('serves one port from both workers; /stats sums them; flows of both reach /flows', async () => {
    const port = await freePort();
    const f = join(dir, 'process.yaml');
    writeFileSync(f, bootstrap(appPort, [port]));
    const entry = fileURLToPath(new URL('../dp-main.ts', import.meta.url));
    const dp = spawn(process.execPath, ['--import', 'tsx', entry, 'dp', '--bootstrap', f, '--workers', '2', '--flow-buffer', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    dp.stdout.on('data', (d: Buffer) => (out += d.toString()));
    dp.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('meshcap dp: ready') && Date.now() < deadline && dp.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('2 engine workers on the listeners (SO_REUSEPORT)');
      const admin = /admin: (http:\/\/[^\s]+)/.exec(out)![1]!;
      await requests(port, 200);
      const name = `listener.inbound_127.0.0.1_${port}.downstream_cx_total`;
      const s = await statsWhen(admin, (x) => stat(x.stats, name) === 200);
      expect(stat(s.stats, name)).toBe(200);
      expect(s.workers.map((w) => w.running)).toEqual([true, true]);
      const perWorker = s.workers.map((w) => stat(w.stats, name));
      // Both took some: with SO_REUSEPORT the kernel hashes each connection's 4-tuple to a socket.
      expect(perWorker.every((n) => n > 0)).toBe(true);
      // Every summed counter is the sum of the workers' own.
      for (const { name: n, value } of s.stats.filter((x) => /^(listener|cluster|http)\./.test(x.name))) {
        expect([n, value]).toEqual([n, s.workers.reduce((sum, w) => sum + stat(w.stats, n), 0)]);
      }
      expect(stat(s.stats, 'http.app.downstream_rq_total')).toBe(200);
      expect(stat(s.stats, 'meshcap.workers.running')).toBe(2);
      // Each worker's flow ids have its own prefix: both workers' flows are in the one log.
      const flows = (await (await fetch(`${admin}/flows?limit=1000`)).json()) as { flows: FlowRecord[]; buffer: { published: number } };
      expect(flows.flows.filter((x) => x.http?.path?.startsWith('/r'))).toHaveLength(200);
      expect(new Set(flows.flows.map((x) => x.id.split('-')[0])).size).toBe(2);
      expect(flows.buffer.published).toBe(200);
    } finally {
      dp.kill('SIGTERM');
      await new Promise((r) => (dp.exitCode === null ? dp.once('exit', r) : r(undefined)));
    }
    expect(out).toContain('meshcap dp: stopped');
    expect(dp.exitCode).toBe(0);
  }, 60_000);
});

describe('EngineWorkers: config changes and a worker that dies', () => {
  let control: DataplaneHandle;
  let pool: EngineWorkers;
  let handle: DataplaneHandle;
  let first: number;
  let admin: string;

  beforeAll(async () => {
    first = await freePort();
    const b = loadEnvoyBootstrap(bootstrap(appPort, [first]), 'workers.yaml');
    const xds = { mesh: b.mesh, name: b.name, version: 'v1', resources: b.resources };
    control = await startDataplane({ xds, admin: { address: '127.0.0.1', port: 0 }, thread: 'control' });
    pool = await EngineWorkers.start(control, { count: 2, input: { kind: 'xds', ...xds }, engine: { relay: 'stream' }, log: () => {}, statsIntervalMs: 100 });
    handle = pool.handle();
    admin = `http://127.0.0.1:${control.admin!.port}`;
  }, 30_000);
  afterAll(() => handle?.stop({ drainMs: 0 }));

  it('a config applied reaches both workers; one whose new port is taken is refused and nothing changes', async () => {
    const flows: FlowRecord[] = [];
    const unsubscribe = handle.flows.subscribe((f) => flows.push(f));
    const second = await freePort();
    await handle.applyXds('v2', loadEnvoyBootstrap(bootstrap(appPort, [first, second]), 'v2.yaml').resources);
    expect(handle.version).toBe('v2');
    await requests(second, 100);
    const name = `listener.inbound_127.0.0.1_${second}.downstream_cx_total`;
    const s = await statsWhen(admin, (x) => stat(x.stats, name) === 100);
    expect(s.workers.map((w) => stat(w.stats, name) > 0)).toEqual([true, true]);
    // The flow stream (what the control plane channel subscribes to) gets both workers' flows.
    const deadline = Date.now() + 5_000;
    while (flows.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    unsubscribe();
    expect(flows.filter((f) => f.listener === `inbound:127.0.0.1:${second}`)).toHaveLength(100);
    expect(new Set(flows.map((f) => f.id.split('-')[0])).size).toBe(2);

    // A port another socket holds: refused (the NACK's reason), v2 stays in the control engine and the workers.
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const busy = (taken.address() as AddressInfo).port;
    try {
      await expect(handle.applyXds('v3', loadEnvoyBootstrap(bootstrap(appPort, [first, busy]), 'v3.yaml').resources)).rejects.toMatchObject({ code: 'MESHCAP_ERR_LISTEN' });
    } finally {
      taken.close();
    }
    expect(handle.version).toBe('v2');
    expect(handle.listeners().map((l) => l.port)).toEqual([first, second]);
    await requests(second, 20);
    await requests(first, 20);
  });

  it('a second dataplane with workers on the same port is refused, not let into the SO_REUSEPORT group', async () => {
    const b = loadEnvoyBootstrap(bootstrap(appPort, [first]), 'again.yaml');
    const xds = { mesh: b.mesh, name: 'again', version: 'v1', resources: b.resources };
    const other = await startDataplane({ xds, admin: false, thread: 'control' });
    try {
      await expect(EngineWorkers.start(other, { count: 2, input: { kind: 'xds', ...xds }, engine: { relay: 'stream' }, log: () => {} })).rejects.toMatchObject({
        code: 'MESHCAP_ERR_LISTEN',
        message: expect.stringContaining(`cannot listen on 127.0.0.1:${first}: EADDRINUSE`),
      });
    } finally {
      await other.stop({ drainMs: 0 });
    }
    await requests(first, 10);
  });

  it('a worker that dies is reported and restarted; the totals keep its counts', async () => {
    const name = `listener.inbound_127.0.0.1_${first}.downstream_cx_total`;
    // The earlier tests' 30 on this port, reported (a worker's counts since its last report die with it).
    const before = stat((await statsWhen(admin, (x) => stat(x.stats, name) === 30)).stats, name);
    expect(before).toBe(30);
    await pool.kill(0);
    const s = await statsWhen(admin, (x) => x.workers[0]!.running && x.workers[0]!.restarts === 1);
    expect(s.workers[0]).toMatchObject({ running: true, restarts: 1 });
    expect(stat(s.stats, 'meshcap.workers.restarts')).toBe(1);
    expect(stat(s.stats, name)).toBeGreaterThanOrEqual(before);
    // The restarted worker runs the config in force (v2: both ports), and both serve again.
    await requests(first, 100);
    const after = await statsWhen(admin, (x) => stat(x.stats, name) === before + 100);
    expect(stat(after.stats, name)).toBe(before + 100);
    expect(after.workers.map((w) => stat(w.stats, name) > 0)).toEqual([true, true]);
  });
});
