// Flow recording on a real dataplane, on loopback: one dp (explicit inbound listener, in its own
// process) in front of a keep-alive HTTP upstream, driven at a fixed rate by our open-loop client
// (open-loop.c), in interleaved rounds of these variants:
//   - the default ring (10,000 slots) and `--flow-buffer 1`;
//   - the ring of retained records this replaced (its publish put back on FlowLog's prototype);
//   - each ring with a live subscriber that batches flows and serialises them like the channel to
//     the control plane does (500 a batch or every 200 ms; the JSON is built and dropped).
// Reports p50/p99/p99.9 from the intended send time, the dp's CPU (utime+stime from /proc) per
// request, its GC pauses, and the bytes promoted to old space per request (old space's growth
// over a window without Mark-Compact), which unlike times does not depend on the machine's load.
//
//   node --import tsx bench/flow-ring-loopback.ts [rate=1000] [seconds=10] [rounds=2]
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { FlowLog, type FlowRecord } from '../packages/core/src/flows/index.ts';
import { dataplaneSchema } from '../packages/core/src/model/index.ts';
import { startDataplane } from '../packages/core/src/proxy/engine.ts';
import { buildOpenLoop, cpuSeconds, type OpenLoopResult } from './open-loop.ts';

interface Variant {
  ring: 'columns' | 'objects';
  capacity: number;
  subscriber: boolean;
}

const BODY = Buffer.alloc(1024, 'x');

async function upstream(): Promise<void> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send!({ port: (server.address() as { port: number }).port });
}

/** The ring before columns, for comparison: the slot array holds the published records themselves. */
function useObjectRing(): void {
  const slots = new WeakMap<FlowLog, FlowRecord[]>();
  FlowLog.prototype.publish = function publish(this: FlowLog, flow: FlowRecord): void {
    let s = slots.get(this);
    if (!s) slots.set(this, (s = new Array<FlowRecord>(this.capacity)));
    const self = this as unknown as { seq: number; subscribers: Array<(f: FlowRecord) => void> };
    s[self.seq % this.capacity] = flow;
    self.seq++;
    for (const fn of self.subscribers) fn(flow);
  };
}

async function dataplane(v: Variant, upstreamPort: number, port: number): Promise<void> {
  if (v.ring === 'objects') useObjectRing();
  const dp = await startDataplane({
    dataplane: dataplaneSchema.parse({
      type: 'Dataplane',
      name: 'bench',
      networking: { address: '127.0.0.1', inbound: [{ port, servicePort: upstreamPort, tags: { 'kuma.io/service': 'bench', 'kuma.io/protocol': 'http' } }] },
    }),
    admin: false,
    flowBufferSize: v.capacity,
  });
  // Steady state from the first request: the ring full of flows of a real request's shape.
  const template: FlowRecord = {
    id: '',
    connectionId: 'c0ffee00-1',
    start: Date.now(),
    mesh: 'default',
    dataplane: 'bench',
    direction: 'inbound',
    listener: `inbound:127.0.0.1:${port}`,
    cluster: 'localhost:' + upstreamPort,
    capture: 'explicit',
    protocol: 'http',
    client: { address: '127.0.0.1', port: 40000 },
    destination: { address: '127.0.0.1', port },
    upstream: { address: '127.0.0.1', port: upstreamPort },
    bytes: { fromClient: 61, toClient: 1100 },
    http: { method: 'GET', authority: 'bench', path: '/', status: 200, requestBytes: 0, responseBytes: 1024, requestId: '', attempts: 1 },
    timings: { connectMs: 0, firstByteMs: 0.3, totalMs: 0.4 },
    verdict: 'forwarded',
    policies: [],
  };
  for (let i = 0; i < v.capacity; i++) {
    const f = structuredClone(template);
    f.id = `c0ffee00-${i.toString(36)}`;
    f.http!.requestId = `${i}-7d2f-4c1a-9b3e-5f6a7b8c9d0e`;
    dp.flows.publish(f);
  }
  // GC in this process, from the parent's 'reset' to its 'report' (with what the subscriber serialised).
  const gc = { scavengeMs: 0, scavenges: 0, markCompactMs: 0, markCompacts: 0, maxPauseMs: 0, serialisedBytes: 0 };
  if (v.subscriber) {
    let pending: FlowRecord[] = [];
    let seq = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      gc.serialisedBytes += `${JSON.stringify({ type: 'flows', seq: seq++, flows: pending, dropped: 0 })}\n`.length;
      pending = [];
    };
    dp.flows.subscribe((f) => {
      pending.push(f);
      if (pending.length >= 500) flush();
    });
    setInterval(flush, 200);
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind: number } }).detail?.kind;
      if (kind === 1) {
        gc.scavengeMs += e.duration;
        gc.scavenges++;
      } else if (kind === 2) {
        gc.markCompactMs += e.duration;
        gc.markCompacts++;
      }
      gc.maxPauseMs = Math.max(gc.maxPauseMs, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  // With no Mark-Compact in the window, what old space grew by is what scavenges promoted.
  const old = (): number => getHeapSpaceStatistics().reduce((sum, sp) => (sp.space_name === 'old_space' || sp.space_name === 'lo_space' ? sum + sp.space_used_size : sum), 0);
  let old0 = 0;
  process.on('message', (m) => {
    if (m === 'reset') {
      for (const k of Object.keys(gc) as Array<keyof typeof gc>) gc[k] = 0;
      old0 = old();
    } else process.send!({ gc: { ...gc, oldGrowth: old() - old0 } });
  });
  process.send!({ ready: true });
}

function child(args: string[]): Promise<{ proc: ChildProcess; msg: Record<string, unknown> }> {
  const proc = fork(fileURLToPath(import.meta.url), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (msg) => resolve({ proc, msg: msg as Record<string, unknown> }));
    proc.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited ${code}`)));
  });
}

function run(bin: string, port: number, rate: number, seconds: number): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) =>
    execFile(bin, ['127.0.0.1', String(port), String(rate), String(seconds), '8', '1'], { timeout: (seconds + 30) * 1000 }, (err, out) => (err ? reject(err) : resolve(JSON.parse(out) as OpenLoopResult))),
  );
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  const rounds = Number(process.argv[4] ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'flow-ring-'));
  const bin = buildOpenLoop(dir);
  const up = await child(['--upstream']);
  const variants: Variant[] = [
    { ring: 'columns', capacity: 10_000, subscriber: false },
    { ring: 'columns', capacity: 1, subscriber: false },
    { ring: 'objects', capacity: 10_000, subscriber: false },
    { ring: 'columns', capacity: 10_000, subscriber: true },
    { ring: 'objects', capacity: 10_000, subscriber: true },
  ];
  const results = new Map<string, Array<{ p50: number; p99: number; p999: number; cpuUs: number; errors: number; gcUs: number; markCompacts: number; maxPauseMs: number; promotedPerReq: number }>>();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        const port = 20000 + Math.floor(Math.random() * 20000);
        const dp = await child(['--dp', JSON.stringify(v), String(up.msg['port']), String(port)]);
        const pid = dp.proc.pid!;
        await run(bin, port, rate, 2); // warm-up: JIT, pooled upstream connections
        dp.proc.send('reset');
        const cpu0 = cpuSeconds(pid);
        const res = await run(bin, port, rate, seconds);
        const cpu = cpuSeconds(pid) - cpu0;
        const gcReport = new Promise<Record<string, number>>((r) => dp.proc.once('message', (m) => r((m as { gc: Record<string, number> }).gc)));
        dp.proc.send('report');
        const gc = await gcReport;
        dp.proc.kill();
        await new Promise((r) => dp.proc.once('exit', r));
        const key = `${v.ring} ${v.capacity}${v.subscriber ? ' + subscriber' : ''}`;
        results.set(key, [...(results.get(key) ?? []), { p50: res.p50, p99: res.p99, p999: res.p999, cpuUs: (cpu * 1e6) / Math.max(1, res.completed), errors: res.errors, gcUs: ((gc['scavengeMs']! + gc['markCompactMs']!) * 1000) / Math.max(1, res.completed), markCompacts: gc['markCompacts']!, maxPauseMs: gc['maxPauseMs']!, promotedPerReq: gc['markCompacts'] === 0 ? gc['oldGrowth']! / Math.max(1, res.completed) : NaN }]);
        console.error(`round ${r + 1} ${key}: p99 ${res.p99.toFixed(3)} ms, cpu ${((cpu * 1e6) / Math.max(1, res.completed)).toFixed(1)} µs/req, errors ${res.errors}, gc ${JSON.stringify(gc)}`);
      }
    }
  } finally {
    up.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log(`${rate} req/s for ${seconds} s (after a 2 s warm-up run; the ring full from the start) on 8 keep-alive connections, 1 KiB responses, ${rounds} interleaved rounds (median; all p99s listed)`);
  console.log('| ring | p50 ms | p99 ms | p99.9 ms | dp CPU µs/req | dp GC pause µs/req | promoted B/req | Mark-Compacts | max GC pause ms | p99s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const [key, rs] of results) {
    console.log(`| ${key} | ${med(rs.map((x) => x.p50)).toFixed(3)} | ${med(rs.map((x) => x.p99)).toFixed(3)} | ${med(rs.map((x) => x.p999)).toFixed(3)} | ${med(rs.map((x) => x.cpuUs)).toFixed(1)} | ${med(rs.map((x) => x.gcUs)).toFixed(1)} | ${med(rs.map((x) => x.promotedPerReq)).toFixed(0)} | ${med(rs.map((x) => x.markCompacts))} | ${med(rs.map((x) => x.maxPauseMs)).toFixed(1)} | ${rs.map((x) => x.p99.toFixed(2)).join(' ')} |`);
  }
}

if (process.argv[2] === '--upstream') void upstream();
else if (process.argv[2] === '--dp') void dataplane(JSON.parse(process.argv[3]!) as Variant, Number(process.argv[4]), Number(process.argv[5]));
else void main();
