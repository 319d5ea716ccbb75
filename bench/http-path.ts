// The HTTP/1.1 path's own cost, on loopback, one hop, no capture rules: h2load (--h1, keep-alive,
// -c16) → a meshcap dataplane's inbound HTTP listener → a 1 KiB origin. Prints the dataplane's CPU
// per request (utime+stime from /proc/<pid>/stat over the measured requests, after a warm-up) and
// requests/s; with --haproxy the same through HAProxy in HTTP mode (one thread) for the ratio, with
// --tcp the same dataplane relaying the port as plain TCP (what the HTTP path adds over the relay).
// Bounded: a fixed number of requests per run. Usage:
//   node --import tsx bench/http-path.ts [--requests 20000] [--runs 3] [--core <dir of packages/core>,…]
//        [--haproxy] [--prof <dir>]
// Several --core dirs (for example a `git archive` of the base commit beside the worktree's) run
// interleaved, A B A B …, so load on a shared machine falls on both alike.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, h2load, startHaproxy, startOrigin, waitLine, writeBenchDataplane } from './loopback-origin.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    core: { type: 'string', multiple: true },
    haproxy: { type: 'boolean', default: false },
    prof: { type: 'string' },
    /** Also run the same dataplane with the port declared tcp (the relay, no HTTP path): the floor. */
    tcp: { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const RUNS = Number(values.runs);
const here = fileURLToPath(new URL('.', import.meta.url));
const cores = (values.core ?? [join(here, '../packages/core')]).map((c) => resolve(c));
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime and stime of a process, µs. */
function cpuUs(pid: number): { user: number; sys: number; minflt: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * TICK_US, sys: Number(f[12]) * TICK_US, minflt: Number(f[7]) };
}

async function startDp(core: string, port: number, appPort: number, dir: string, prof?: string, protocol = 'http'): Promise<ChildProcess> {
  const file = writeBenchDataplane(dir, port, appPort, protocol);
  const args = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), '--import', 'tsx', join(core, 'src/proxy/testing/dataplane.ts'), '--file', file, '--admin-port', String(await freePort())];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: core });
  await waitLine(proc, (l) => l.includes('"ready"'));
  return proc;
}

function startHaproxyProxy(port: number, appPort: number, dir: string): Promise<ChildProcess> {
  return startHaproxy(dir, `haproxy-${port}`, port, `frontend f\n  bind 127.0.0.1:${port}\n  default_backend b\nbackend b\n  http-reuse always\n  server s 127.0.0.1:${appPort}\n`);
}

async function measure(pid: number, port: number): Promise<{ usPerReq: number; userPerReq: number; faultsPerReq: number; rps: number }> {
  h2load(port, WARMUP);
  const before = cpuUs(pid);
  const { rps, ok } = h2load(port, REQUESTS);
  const after = cpuUs(pid);
  if (ok !== REQUESTS) throw new Error(`only ${ok}/${REQUESTS} requests answered 2xx`);
  const user = after.user - before.user;
  return { usPerReq: (user + after.sys - before.sys) / REQUESTS, userPerReq: user / REQUESTS, faultsPerReq: (after.minflt - before.minflt) / REQUESTS, rps };
}

const dir = mkdtempSync(join(tmpdir(), 'http-path-'));
const appPort = await freePort();
const origin = startOrigin(appPort);
await waitLine(origin, (l) => l === 'ready');
const results = new Map<string, { us: number[]; user: number[]; rps: number[] }>();
const procs: ChildProcess[] = [origin];
try {
  const names = [...cores.map((c) => c), ...(values.tcp ? cores.map((c) => `tcp:${c}`) : []), ...(values.haproxy ? ['haproxy'] : [])];
  for (let run = 0; run < RUNS; run++) {
    for (const name of names) {
      const port = await freePort();
      const proc =
        name === 'haproxy' ? await startHaproxyProxy(port, appPort, dir) : name.startsWith('tcp:') ? await startDp(name.slice(4), port, appPort, dir, values.prof, 'tcp') : await startDp(name, port, appPort, dir, values.prof);
      procs.push(proc);
      const m = await measure(proc.pid!, port);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      const r = results.get(name) ?? { us: [], user: [], rps: [] };
      r.us.push(m.usPerReq);
      r.user.push(m.userPerReq);
      r.rps.push(m.rps);
      results.set(name, r);
      console.log(`run ${run + 1} ${name}: ${m.usPerReq.toFixed(1)} µs CPU/request (user ${m.userPerReq.toFixed(1)}), ${m.faultsPerReq.toFixed(2)} page faults/request, ${m.rps.toFixed(0)} req/s`);
    }
  }
} finally {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('\nmedian over runs:');
for (const [name, r] of results) console.log(`  ${name}: ${median(r.us).toFixed(1)} µs CPU/request (user ${median(r.user).toFixed(1)}), ${median(r.rps).toFixed(0)} req/s (runs: ${r.us.map((u) => u.toFixed(1)).join(', ')} µs)`);
