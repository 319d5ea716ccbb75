// The multi-core part of `npm run bench` (BENCH_ONLY=workers; also runnable alone:
// `node --import tsx bench/workers.ts`): HTTP/1.1 requests/s through one `meshcap dp` inbound
// HTTP listener with the engine in the main thread (no --workers, as today) and with
// `--workers 2` (two engine threads, SO_REUSEPORT sockets on the same port), side by side in one
// run, interleaved 1 2 1 2 … so load on a shared machine falls on both alike. Loopback, no capture:
// h2load (--h1, keep-alive, BENCH_WORKERS_CONNECTIONS connections over 2 client threads) → the
// dataplane → a 1 KiB origin (HAProxy answering itself, one thread: a C origin, so the origin is
// not what we measure; Node's when HAProxy is missing). Bounded: a fixed number of requests per run.
// Also prints the dataplane process's CPU per request (every thread: utime+stime of /proc/<pid>/stat).
// On a 2-core machine shared by the client, the origin and the proxy the ratio is a floor, not what
// two free cores would give.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './host-run.ts';
import { freePort, h2load, startHaproxy, startOrigin, waitLine, writeBenchDataplane } from './loopback-origin.ts';
import { cpuSeconds } from './open-loop.ts';

const REQUESTS = Number(process.env.BENCH_WORKERS_REQUESTS ?? 60_000);
const WARMUP = Math.max(1_000, Math.floor(REQUESTS / 6));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_WORKERS_CONNECTIONS ?? 32);
const meshcapBin = fileURLToPath(new URL('../apps/api/bin/meshcap.js', import.meta.url));

function say(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function hasHaproxy(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The 1 KiB origin: HAProxy answering every request itself (`http-request return`), or Node's. */
async function origin(dir: string, port: number): Promise<ChildProcess> {
  if (hasHaproxy()) return startHaproxy(dir, 'origin', port, `frontend origin\n  bind 127.0.0.1:${port}\n  http-request return status 200 content-type application/octet-stream string "${'x'.repeat(1024)}"\n`);
  const proc = startOrigin(port);
  await waitLine(proc, (l) => l === 'ready');
  return proc;
}

async function oneRun(dir: string, appPort: number, workers: number): Promise<{ rps: number; usPerReq: number }> {
  const port = await freePort();
  const file = writeBenchDataplane(dir, port, appPort);
  const args = [meshcapBin, 'dp', '--dataplane-file', file, '--admin-port', '0', ...(workers > 1 ? ['--workers', String(workers)] : [])];
  const dp = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitLine(dp, (l) => l === 'meshcap dp: ready');
    h2load(port, WARMUP, CONNECTIONS, 2);
    const before = cpuSeconds(dp.pid!);
    const { rps, ok } = h2load(port, REQUESTS, CONNECTIONS, 2);
    const usPerReq = ((cpuSeconds(dp.pid!) - before) * 1e6) / REQUESTS;
    if (ok !== REQUESTS) throw new Error(`--workers ${workers}: only ${ok}/${REQUESTS} requests answered 2xx`);
    return { rps, usPerReq };
  } finally {
    dp.kill('SIGTERM');
    await new Promise((r) => (dp.exitCode === null ? dp.once('exit', r) : r(undefined)));
  }
}

/** The table: req/s and CPU per request with 1 and 2 engine workers, and the ratio 2/1. */
export async function benchWorkers(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-bench-workers-'));
  const appPort = await freePort();
  const app = await origin(dir, appPort);
  const results = new Map<number, { rps: number[]; us: number[] }>([
    [1, { rps: [], us: [] }],
    [2, { rps: [], us: [] }],
  ]);
  try {
    say(`workers: ${RUNS} runs × ${REQUESTS} requests (after ${WARMUP} warm-up), h2load --h1 -c${CONNECTIONS} -t2, 1 KiB responses, loopback`);
    for (let run = 0; run < RUNS; run++) {
      for (const [workers, r] of results) {
        const m = await oneRun(dir, appPort, workers);
        r.rps.push(m.rps);
        r.us.push(m.usPerReq);
        say(`  run ${run + 1}, ${workers} worker${workers > 1 ? 's' : ''}: ${m.rps.toFixed(0)} req/s, ${m.usPerReq.toFixed(1)} µs CPU/request`);
      }
    }
  } finally {
    app.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const one = results.get(1)!;
  const two = results.get(2)!;
  const rps1 = median(one.rps);
  const rps2 = median(two.rps);
  return [
    'meshcap dp engine workers, HTTP/1.1 on loopback (medians)',
    '| engine | req/s | µs CPU/request (whole dp process) |',
    '|---|---|---|',
    `| main thread (no --workers) | ${rps1.toFixed(0)} | ${median(one.us).toFixed(1)} |`,
    `| --workers 2 | ${rps2.toFixed(0)} | ${median(two.us).toFixed(1)} |`,
    `| ratio 2 / 1 | ${(rps2 / rps1).toFixed(2)} | ${(median(two.us) / median(one.us)).toFixed(2)} |`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.stdout.write(`${await benchWorkers()}\n`);
