// In-process cost of flow recording: publishes flows of the shapes the HTTP and TCP paths build
// through a FlowLog, with the per-request garbage a request makes beside them, and reports what the
// ring adds: ns per flow, heap held after a full GC, and GC pauses (PerformanceObserver 'gc').
// Each variant runs in its own child process so one's heap does not colour the next.
//
//   node --import tsx bench/flow-ring.ts [flows=300000] [rounds=2]
//
// Variants: the ring of columns (FlowLog) and, for comparison, the ring of retained records it
// replaced (ObjectRing below), each at 10,000 slots, at 1 slot (`--flow-buffer 1`) and at the
// control plane's 50,000, without and with a subscriber that holds flows in batches of 500 and
// serialises them (as the channel to the control plane does). Survived and promoted bytes come
// from V8's own account (--trace-gc-nvp) and do not depend on the machine's load; times do.
import { execFileSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { FlowIds, FlowLog, type FlowRecord } from '../packages/core/src/flows/index.ts';
// The engine's own flow constructor; context.ts has only type imports, so the bench's heap holds no engine.
import { newFlow, type FlowStart } from '../packages/core/src/proxy/context.ts';

/** The ring before columns: a slot array holding the published records themselves. */
class ObjectRing {
  private readonly slots: Array<FlowRecord | undefined>;
  private seq = 0;
  private subscribers: Array<(f: FlowRecord) => void> = [];
  constructor(readonly capacity: number) {
    this.slots = new Array<FlowRecord | undefined>(capacity);
  }
  publish(flow: FlowRecord): void {
    this.slots[this.seq++ % this.capacity] = flow;
    for (const fn of this.subscribers) fn(flow);
  }
  subscribe(fn: (f: FlowRecord) => void): void {
    this.subscribers.push(fn);
  }
}

interface Variant {
  ring: 'columns' | 'objects' | 'none';
  capacity: number;
  subscriber: boolean;
}

const ids = new FlowIds();
const DATAPLANE = { mesh: 'default', dataplane: 'frontend' };
let sink = 0;

/** One request's flow as exchange.ts builds it, plus the garbage the request makes (about 6 KB: head buffer, strings, closures). */
function httpFlow(i: number, conn: FlowStart): FlowRecord {
  const head = Buffer.allocUnsafe(512);
  const garbage = [`GET /api/items/${i % 1000} HTTP/1.1`, { a: i, b: [i, i + 1] }, new Array(64).fill(i)];
  sink += head.length + garbage.length;
  const flow = newFlow(DATAPLANE, conn, 'http', ids.next(), Date.now());
  flow.http = { method: 'GET', authority: 'backend:8080', path: `/api/items/${i % 1000}`, status: 200, requestBytes: 0, responseBytes: 1024, requestId: `${(i * 2654435761) >>> 0}-${i.toString(16)}-4a1b-9c3d-5e6f7a8b9c0d`, attempts: 1 };
  flow.upstream = { address: '198.18.0.20', port: 8080 };
  flow.bytes.fromClient = 180;
  flow.bytes.toClient = 1150;
  flow.timings.connectMs = 0;
  flow.timings.firstByteMs = 0.412;
  flow.timings.totalMs = 0.533;
  return flow;
}

/** One TCP connection's flow as tcp-proxy.ts builds it. */
function tcpFlow(i: number): FlowRecord {
  const id = ids.next();
  return {
    id,
    connectionId: id,
    start: Date.now(),
    mesh: 'default',
    dataplane: 'frontend',
    direction: 'inbound',
    listener: 'inbound:198.18.0.10:5000',
    cluster: 'localhost:5000',
    capture: 'redirect',
    protocol: 'tcp',
    client: { address: `198.18.0.${1 + (i % 200)}`, port: 30000 + (i % 30000) },
    destination: { address: '198.18.0.10', port: 5000 },
    upstream: { address: '127.0.0.1', port: 5000 },
    bytes: { fromClient: 1024 * (i % 7), toClient: 4096 },
    http: undefined,
    timings: { totalMs: 1.25, connectMs: 0.08 },
    verdict: 'forwarded',
    reason: undefined,
    policies: [],
    close: 'fin',
  };
}

function run(v: Variant, flows: number): Record<string, number> {
  const gc = { minorMs: 0, minorCount: 0, majorMs: 0, majorCount: 0, maxPauseMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind: number } }).detail?.kind ?? 0;
      if (kind === 1) {
        gc.minorMs += e.duration;
        gc.minorCount++;
      } else if (kind === 2) {
        gc.majorMs += e.duration;
        gc.majorCount++;
      }
      gc.maxPauseMs = Math.max(gc.maxPauseMs, e.duration);
    }
  });
  const ring = v.ring === 'columns' ? new FlowLog(v.capacity) : v.ring === 'objects' ? new ObjectRing(v.capacity) : undefined;
  if (v.subscriber && ring) {
    let pending: FlowRecord[] = [];
    ring.subscribe((f) => {
      pending.push(f);
      if (pending.length >= 500) {
        sink += JSON.stringify({ type: 'flows', flows: pending }).length;
        pending = [];
      }
    });
  }
  const conn: FlowStart = {
    connectionId: ids.next(),
    listener: { config: { direction: 'outbound', name: 'outbound:198.18.0.10:8080', cluster: { name: 'backend' } } },
    capture: 'redirect',
    client: { address: '198.18.0.1', port: 41234 },
    destination: { address: '198.18.0.10', port: 8080 },
  };
  const publish = (f: FlowRecord): void => {
    if (ring) ring.publish(f);
    else sink += f.id.length;
  };
  // Warm up the JIT and fill the ring before measuring.
  for (let i = 0; i < 20_000; i++) publish(i % 10 === 0 ? tcpFlow(i) : httpFlow(i, conn));
  (globalThis as { gc?: () => void }).gc?.();
  obs.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  // Nine HTTP requests to one TCP connection.
  for (let i = 0; i < flows; i++) publish(i % 10 === 0 ? tcpFlow(i) : httpFlow(i, conn));
  const cpu = process.cpuUsage(cpu0);
  const ns = ((cpu.user + cpu.system) * 1000) / flows;
  (globalThis as { gc?: () => void }).gc?.();
  const heapMiB = getHeapStatistics().used_heap_size / 2 ** 20;
  // The publish call alone, over 1,000 records built beforehand.
  const built = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? tcpFlow(i) : httpFlow(i, conn)));
  const pushes = 1_000_000;
  const cpu1 = process.cpuUsage();
  for (let i = 0; i < pushes; i++) publish(built[i % 1000]!);
  const cpu2 = process.cpuUsage(cpu1);
  const pushNs = ((cpu2.user + cpu2.system) * 1000) / pushes;
  // GC entries are delivered from the event loop: give them time to arrive.
  return new Promise<void>((r) => setTimeout(r, 200)).then(() => {
    obs.disconnect();
    return { nsPerFlow: ns, pushNs, heapMiB, ...gc, sink: sink % 2 };
  }) as unknown as Record<string, number>;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child') {
  const v = JSON.parse(process.argv[3]!) as Variant;
  void (run(v, Number(process.argv[4])) as unknown as Promise<Record<string, number>>).then((r) => process.stdout.write(`\nRESULT ${JSON.stringify(r)}\n`));
} else {
  const flows = Number(process.argv[2] ?? 300_000);
  const rounds = Number(process.argv[3] ?? 2);
  const variants: Variant[] = [
    { ring: 'none', capacity: 0, subscriber: false },
    { ring: 'objects', capacity: 1, subscriber: false },
    { ring: 'objects', capacity: 10_000, subscriber: false },
    { ring: 'columns', capacity: 1, subscriber: false },
    { ring: 'columns', capacity: 10_000, subscriber: false },
    { ring: 'objects', capacity: 10_000, subscriber: true },
    { ring: 'columns', capacity: 10_000, subscriber: true },
    // The control plane's FlowHub ring.
    { ring: 'objects', capacity: 50_000, subscriber: false },
    { ring: 'columns', capacity: 50_000, subscriber: false },
  ];
  const rows: string[] = [];
  // Interleaved rounds: the machine is shared, so each variant sees the same noise.
  const results = new Map<string, Array<Record<string, number>>>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--trace-gc-nvp', self, '--child', JSON.stringify(v), String(flows)], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const key = `${v.ring} ${v.capacity}${v.subscriber ? ' +sub' : ''}`;
      const result = JSON.parse(/^RESULT (.*)$/m.exec(out)![1]!) as Record<string, number>;
      // V8's own account of every scavenge (warm-up included): bytes that survived one and bytes promoted to old space.
      let survived = 0;
      let promoted = 0;
      for (const line of out.split('\n')) {
        if (!line.includes(' gc=s ')) continue;
        survived += Number(/ new_space_survived=(\d+)/.exec(line)?.[1] ?? 0);
        promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
      }
      const total = flows + 20_000;
      results.set(key, [...(results.get(key) ?? []), { ...result, survivedPerFlow: survived / total, promotedPerFlow: promoted / total, markCompacts: (out.match(/ gc=mc /g) ?? []).length }]);
    }
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  rows.push('| ring | publish alone, CPU ns | CPU ns/flow (whole request loop) | heap after (MiB) | survived a scavenge, B/flow | promoted, B/flow | minor GC ms (n) | Mark-Compacts | max pause ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, rs] of results) {
    const med = (k: string): number => rs.map((x) => x[k]!).sort((a, b) => a - b)[Math.floor((rs.length - 1) / 2)]!;
    rows.push(`| ${key} | ${f(med('pushNs'), 0)} | ${f(med('nsPerFlow'), 0)} | ${f(med('heapMiB'))} | ${f(med('survivedPerFlow'), 0)} | ${f(med('promotedPerFlow'), 0)} | ${f(med('minorMs'))} (${med('minorCount')}) | ${med('markCompacts')} | ${f(med('maxPauseMs'), 2)} |`);
  }
  console.log(`${flows} flows per run (9 HTTP : 1 TCP), median of ${rounds} interleaved rounds, node ${process.version}`);
  console.log(rows.join('\n'));
}
