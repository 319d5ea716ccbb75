// The fixed-rate part of the proxy bench: our open-loop client (open-loop.c, compiled here with the
// system's cc) and what the proxies cost meanwhile, read from /proc: CPU (utime + stime of
// /proc/<pid>/stat) and RSS (VmRSS of /proc/<pid>/status). /proc is the same in every network
// namespace (one PID namespace), so the bench reads it directly.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host } from '@meshcap/testkit';
import { runIn } from './host-run.ts';

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  connections: number;
  sent: number;
  completed: number;
  errors: number;
  measured: number;
  maxQueued: number;
  /** Latency from the intended send time, milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const SOURCE = fileURLToPath(new URL('./open-loop.c', import.meta.url));

/** Compiles the client into `dir` once; returns its path. */
export function buildOpenLoop(dir: string): string {
  const out = join(dir, 'open-loop');
  execFileSync('cc', ['-O2', '-Wall', '-o', out, SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

export async function openLoop(bin: string, client: Host, host: string, port: number, o: { rate: number; seconds: number; connections: number; warmup: number }): Promise<OpenLoopResult> {
  const argv = [bin, host, String(port), String(o.rate), String(o.seconds), String(o.connections), String(o.warmup)];
  const out = await runIn(client, argv, (o.seconds + o.warmup + 30) * 1000);
  return JSON.parse(out) as OpenLoopResult;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The pid of the process listening on TCP `port` in the host (the proxy itself, not a wrapper). */
export async function listenerPid(host: Host, port: number): Promise<number> {
  const out = await runIn(host, ['ss', '-Hltnp', `sport = :${port}`], 10_000);
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`nothing listens on :${port} in ${host.label}: ${out}`);
  return Number(pid);
}

/** CPU seconds used so far (user + system). */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after the last ')').
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14 and 15)
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

export interface ProxyCost {
  /** vCPU of each proxy over the run (CPU seconds / wall seconds). */
  cpu: number[];
  /** RSS of each proxy at the end of the run, MiB. */
  rssMiB: number[];
}

/** Runs `body` and reports the CPU each of `pids` used meanwhile, and their RSS at its end. */
export async function withCost<T>(pids: readonly number[], body: () => Promise<T>): Promise<{ result: T; cost: ProxyCost }> {
  const before = pids.map(cpuSeconds);
  const t = performance.now();
  const result = await body();
  const wall = (performance.now() - t) / 1000;
  return { result, cost: { cpu: pids.map((p, i) => (cpuSeconds(p) - before[i]!) / wall), rssMiB: pids.map(rssMiB) } };
}
