// The flow channel's cost, on loopback: h2load (--h1, keep-alive, -c16, a fixed count of requests)
// → one `meshcap dp` (explicit inbound HTTP listener, root, --no-proxy-user) → a 1 KiB origin, in
// interleaved rounds of these variants:
//   - `alone`: the dp standalone (default flow ring, no control plane);
//   - `cp`: the dp attached to a real `meshcap cp` over its Unix socket (flows go in batches);
//   - `cp+sse`: the same with a live subscriber (curl) on the cp's /api/flows/stream.
// Prints the CPU (utime+stime from /proc/<pid>/stat over the measured requests, after a warm-up)
// per request of the dp and of the cp, and req/s. On 2 shared cores the cp's CPU per flow is taken
// from the proxies, so both count. Several --tree dirs (a `git archive` of the base commit beside
// the worktree, with node_modules linked) run interleaved, A B A B …, so load falls on both alike.
//   node --import tsx bench/flow-channel-loopback.ts [--requests 20000] [--runs 3] [--tree <repo dir>,…]
//        [--variants alone,cp,cp+sse] [--prof <dir>]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startOrigin, waitLine, writeBenchDataplane } from './loopback-origin.ts';
import { cpuSeconds } from './open-loop.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    tree: { type: 'string', multiple: true },
    variants: { type: 'string', default: 'alone,cp,cp+sse' },
    prof: { type: 'string' },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const RUNS = Number(values.runs);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const trees = (values.tree ?? [fileURLToPath(new URL('..', import.meta.url))]).map((t) => resolve(t));
const variants = values.variants.split(',') as Array<'alone' | 'cp' | 'cp+sse'>;

/** Node flags for a child: `--cpu-prof` into <prof>/<label> with --prof. */
function profArgs(label: string): string[] {
  if (!values.prof) return [];
  const dir = join(resolve(values.prof), label);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

interface Cp {
  proc: ChildProcess;
  url: string;
  socket: string;
}

async function startCp(tree: string, dir: string, label: string): Promise<Cp> {
  const socket = join(dir, 'cp.sock');
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const proc = spawn(process.execPath, [...profArgs(`cp-${label}`), join(tree, 'apps/api/bin/meshcap.js'), 'cp', '--listen', '127.0.0.1:0', '--socket', socket, '--data-dir', data, '--no-gui'], {
    env: { ...process.env, MESHCAP_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = await waitLine(proc, (l) => /API\s+http:\/\/\S+/.test(l));
  const url = /API\s+(http:\/\/\S+)/.exec(line)![1]!;
  await waitLine(proc, (l) => l.includes('meshcap cp: ready')).catch(() => undefined);
  return { proc, url, socket };
}

async function startDp(tree: string, dir: string, port: number, appPort: number, label: string, cp?: Cp): Promise<ChildProcess> {
  const file = writeBenchDataplane(dir, port, appPort);
  const extra: string[] = [];
  if (cp) {
    const res = await fetch(`${cp.url}/api/tokens/dataplane`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
    const { token } = (await res.json()) as { token: string };
    const tokenFile = join(dir, `dp-${port}.token`);
    writeFileSync(tokenFile, token, { mode: 0o600 });
    extra.push('--cp', `unix:${cp.socket}`, '--dataplane-token-file', tokenFile);
  }
  const args = [...profArgs(`dp-${label}`), join(tree, 'apps/api/bin/meshcap.js'), 'dp', '--dataplane-file', file, '--name', 'bench', '--no-proxy-user', '--admin-port', String(await freePort()), '--drain-time', '1s', ...extra];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitLine(proc, (l) => (cp ? /connected to the control plane/.test(l) : /meshcap dp: ready/.test(l)));
  return proc;
}

function h2load(port: number, n: number): { rps: number; ok: number } {
  const out = execFileSync('h2load', ['--h1', '-n', String(n), '-c', '16', '-m', '1', `http://127.0.0.1:${port}/x`], { encoding: 'utf8' });
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
  const ok = Number(/status codes: (\d+) 2xx/.exec(out)?.[1]);
  return { rps, ok };
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Figures {
  dpUs: number;
  cpUs: number;
  rps: number;
  sseBytesPerReq: number;
}

async function measure(tree: string, variant: 'alone' | 'cp' | 'cp+sse', appPort: number, label: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'flow-channel-'));
  chmodSync(dir, 0o755);
  let cp: Cp | undefined;
  let dp: ChildProcess | undefined;
  let sse: ChildProcess | undefined;
  try {
    if (variant !== 'alone') cp = await startCp(tree, dir, label);
    const port = await freePort();
    dp = await startDp(tree, dir, port, appPort, label, cp);
    const received = join(dir, 'sse.out');
    h2load(port, WARMUP);
    if (variant === 'cp+sse') {
      sse = spawn('curl', ['-sSN', '-o', received, '-H', `authorization: Bearer ${TOKEN}`, `${cp!.url}/api/flows/stream`], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
    }
    // Let the warm-up's flows reach the cp before counting.
    await new Promise((r) => setTimeout(r, 500));
    const dp0 = cpuSeconds(dp.pid!);
    const cp0 = cp ? cpuSeconds(cp.proc.pid!) : 0;
    const size0 = sse ? sizeOf(received) : 0;
    const { rps, ok } = h2load(port, REQUESTS);
    // The last batches (every 200 ms) and their fan-out belong to these requests.
    await new Promise((r) => setTimeout(r, 700));
    const dpUs = ((cpuSeconds(dp.pid!) - dp0) * 1e6) / REQUESTS;
    const cpUs = cp ? ((cpuSeconds(cp.proc.pid!) - cp0) * 1e6) / REQUESTS : 0;
    if (ok !== REQUESTS) throw new Error(`only ${ok}/${REQUESTS} requests answered 2xx`);
    return { dpUs, cpUs, rps, sseBytesPerReq: sse ? (sizeOf(received) - size0) / REQUESTS : 0 };
  } finally {
    sse?.kill();
    await stop(dp);
    await stop(cp?.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const appPort = await freePort();
const origin = startOrigin(appPort);
await waitLine(origin, (l) => l === 'ready');
const results = new Map<string, Figures[]>();
try {
  for (let run = 0; run < RUNS; run++) {
    for (const variant of variants) {
      for (const [i, tree] of trees.entries()) {
        const key = `${trees.length > 1 ? `tree ${i} ` : ''}${variant}`;
        const f = await measure(tree, variant, appPort, `${i}-${variant}-${run}`);
        results.set(key, [...(results.get(key) ?? []), f]);
        console.log(`run ${run + 1} ${key}: dp ${f.dpUs.toFixed(1)} µs/req, cp ${f.cpUs.toFixed(1)} µs/req, ${f.rps.toFixed(0)} req/s, SSE ${f.sseBytesPerReq.toFixed(0)} B/req`);
      }
    }
  }
} finally {
  await stop(origin);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\n${REQUESTS} requests per run (after ${WARMUP}), h2load --h1 -c16, 1 KiB responses; median of ${RUNS} interleaved runs`);
console.log('| variant | dp CPU µs/req | cp CPU µs/req | dp+cp µs/req | req/s | SSE B/req | dp runs | cp runs |\n|---|---:|---:|---:|---:|---:|---|---|');
for (const [key, rs] of results) {
  console.log(
    `| ${key} | ${median(rs.map((r) => r.dpUs)).toFixed(1)} | ${median(rs.map((r) => r.cpUs)).toFixed(1)} | ${median(rs.map((r) => r.dpUs + r.cpUs)).toFixed(1)} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.sseBytesPerReq)).toFixed(0)} | ${rs.map((r) => r.dpUs.toFixed(1)).join(' ')} | ${rs.map((r) => r.cpUs.toFixed(1)).join(' ')} |`,
  );
}
