// `npm run bench`: direct vs meshcap vs HAProxy, same namespaces, same load, one run; then HTTP/2 and
// gRPC (bench/h2.ts); mTLS vs HAProxy with TLS between the proxies (bench/mtls.ts); then DNS
// queries/s through the dataplane's DNS proxy vs the upstream directly (bench/dns.ts); then HTTP/1.1
// req/s through one dataplane with 1 and 2 engine workers (bench/workers.ts); then the
// control plane's xDS push times and cost (bench/xds.ts), and change propagation across
// control plane replicas on PostgreSQL (bench/replicas.ts).
//
// Two namespaces joined by a veth: `client` runs the load generators (iperf3, wrk), `server` runs
// the applications (iperf3 -s; an HAProxy instance answering 1 KiB on :8080/:8081 — a C origin, so
// the origin is not what we measure). Three ways:
//   direct   no capture rules, no proxy
//   meshcap  `meshcap install transparent-proxy` defaults in both namespaces and `meshcap dp` in
//            each (started as root like a user would: it runs as UID 5678): outbound capture on the
//            client, inbound on the server. :8080 is declared http (the HTTP/1.1 path on both
//            sides), :8081 and iperf3's :5201 are plain TCP (the stream relay).
//   haproxy  the same rules; HAProxy 2.6 as the transparent proxy on the same ports (15001 on the
//            client, 15006 on the server) as UID 5678, `server s 0.0.0.0:0` (SO_ORIGINAL_DST), the
//            inbound side from 127.0.0.6 like meshcap; TCP mode for iperf3 and :8081, HTTP mode for
//            :8080. One thread (nbthread 1), as meshcap's engine is one thread.
// Prints medians of BENCH_RUNS runs of BENCH_SECONDS each and the ratios meshcap/direct and
// meshcap/haproxy. Absolute numbers depend on the machine and its load; read the ratios.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTransparentProxy, parseTransparentProxyConfig, uninstallTransparentProxy } from '@meshcap/core';
import { Lab, netnsSupport, type Host, type HostProcess } from '@meshcap/testkit';
import { api as cpApi, cpDir, startCp, stopCp, TOKEN as CP_TOKEN, type Cp } from '../apps/api/src/integration/cp-process.ts';
import { benchDataplane } from './bench-dataplane.ts';
import { benchH2 } from './h2.ts';
import { buildOpenLoop, listenerPid, openLoop, rssMiB, withCost, type OpenLoopResult, type ProxyCost } from './open-loop.ts';
import { median, runIn } from './host-run.ts';
import { benchDns } from './dns.ts';
import { benchMtls } from './mtls.ts';
import { parseWrk } from './wrk.ts';
import { benchReplicas } from './replicas.ts';
import { benchWorkers } from './workers.ts';
import { benchXds } from './xds.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SERVER = '198.18.9.10';
const CLIENT = '198.18.9.1';
const meshcapBin = fileURLToPath(new URL('../apps/api/bin/meshcap.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'meshcap-bench-'));
chmodSync(work, 0o755);

function say(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text, { mode: 0o644 });
  return path;
}

function run(host: Host, argv: string[], timeoutMs = (SECONDS + 30) * 1000): Promise<string> {
  return runIn(host, argv, timeoutMs);
}

/** Waits until something listens on TCP `port` inside the namespace (bounded). Never connects: a
 * connection straight to a transparent proxy's port has no original destination to go to. */
async function waitPort(host: Host, port: number): Promise<void> {
  const script = `for i in $(seq 150); do ss -Hltn "sport = :${port}" | grep -q . && exit 0; sleep 0.1; done; exit 1`;
  await run(host, ['sh', '-c', script], 20_000);
}


async function iperf(client: Host): Promise<number> {
  const json = JSON.parse(await run(client, ['iperf3', '-c', SERVER, '-p', '5201', '-t', String(SECONDS), '-J'])) as { end: { sum_received: { bits_per_second: number } } };
  return json.end.sum_received.bits_per_second / 1e9;
}

async function wrk(client: Host, port: number): Promise<{ rps: number; p50ms: number }> {
  const r = parseWrk(await run(client, ['wrk', '-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', `http://${SERVER}:${port}/`]));
  if (r.errors) say(`wrk :${port}: ${r.errors}`);
  return r;
}

interface Measured {
  iperfGbps?: number;
  tcpRps?: number;
  tcpP50?: number;
  httpRps?: number;
  httpP50?: number;
}

async function measure(client: Host, what: { iperf: boolean; tcp: boolean; http: boolean }): Promise<Measured> {
  const iperfs: number[] = [];
  const tcp: Array<{ rps: number; p50ms: number }> = [];
  const http: Array<{ rps: number; p50ms: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    if (what.iperf) iperfs.push(await iperf(client));
    if (what.tcp) tcp.push(await wrk(client, 8081));
    if (what.http) http.push(await wrk(client, 8080));
  }
  return {
    iperfGbps: iperfs.length ? median(iperfs) : undefined,
    tcpRps: tcp.length ? median(tcp.map((r) => r.rps)) : undefined,
    tcpP50: tcp.length ? median(tcp.map((r) => r.p50ms)) : undefined,
    httpRps: http.length ? median(http.map((r) => r.rps)) : undefined,
    httpP50: http.length ? median(http.map((r) => r.p50ms)) : undefined,
  };
}

const ONE_KIB = 'x'.repeat(1024);

/** HAProxy's `global` and `defaults` for every instance here: one thread; the proxies run as the proxy user (UID 5678). */
function haproxyHead(mode: 'tcp' | 'http', proxyUser: boolean): string {
  return `global
  nbthread 1
  maxconn 4000
${proxyUser ? '  uid 5678\n  gid 5678\n' : ''}defaults
  mode ${mode}
  timeout client 1h
  timeout server 1h
  timeout connect 5s
`;
}

/** The origin: HAProxy answering 1 KiB itself on :8080 and :8081. */
const originConfig = `${haproxyHead('http', false)}frontend origin
  bind :::8080 v4v6
  bind :::8081 v4v6
  http-request return status 200 content-type text/plain string "${ONE_KIB}"
`;

/** `splice`: forced kernel splicing both ways (`option splice-request` / `splice-response`), the iperf3 row's reference. */
function haproxyProxyConfig(side: 'client' | 'server', mode: 'tcp' | 'http', splice = false): string {
  const port = side === 'client' ? 15001 : 15006;
  const source = side === 'server' ? ' source 127.0.0.6' : '';
  const options = (mode === 'http' ? '  option http-keep-alive\n' : '') + (splice ? '  option splice-request\n  option splice-response\n' : '');
  return `${haproxyHead(mode, true)}${options}frontend capture
  bind 0.0.0.0:${port}
  default_backend original_destination
backend original_destination
  server s 0.0.0.0:0${source}
`;
}

const backendDp = benchDataplane('bench-server', SERVER, {
  inbound: [
    { port: 8080, service: 'origin-http', protocol: 'http' },
    { port: 8081, service: 'origin-tcp' },
    { port: 5201, service: 'iperf' },
  ],
});
// No control plane: the client's dp learns the server's endpoints from its Dataplane.
const clientDp = `${benchDataplane('bench-client', CLIENT, { outbound: [{ port: 8080, address: SERVER, service: 'origin-http' }] })}---\n${backendDp}`;

async function startMeshcap(host: Host, path: string, name: string, extra: readonly string[] = []): Promise<HostProcess> {
  // A short drain, well inside stop()'s 5 s grace: a SIGKILL of the root parent would leave the
  // proxy-user child (which holds the output pipe) behind, and stop() would wait for it.
  const proc = host.spawn(process.execPath, [meshcapBin, 'dp', '--dataplane-file', path, '--name', name, '--drain-time', '1s', ...extra]);
  await proc.waitForLine(/^meshcap dp: ready$/, 60_000);
  return proc;
}

async function startHaproxy(host: Host, config: string, port: number): Promise<HostProcess> {
  const proc = host.spawn('haproxy', ['-f', file(`haproxy-${host.label}-${port}-${Date.now()}.cfg`, config), '-db']);
  await waitPort(host, port);
  return proc;
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '—' : n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !b ? '—' : (a / b).toFixed(2);
}

/** BENCH_ONLY=proxy, BENCH_ONLY=h2, BENCH_ONLY=mtls, BENCH_ONLY=dns, BENCH_ONLY=workers, BENCH_ONLY=xds or BENCH_ONLY=replicas runs one part. */
const ONLY = process.env.BENCH_ONLY;
const runs = (part: 'proxy' | 'h2' | 'mtls' | 'dns' | 'workers' | 'xds' | 'replicas'): boolean => ONLY === undefined || ONLY === part;

async function main(): Promise<void> {
  if (runs('proxy')) await benchProxies();
  if (runs('h2')) {
    await inLab('bench-h2', async (client, server) => {
      const table = await benchH2({ SECONDS, RUNS, SERVER, CLIENT, say, file, run, waitPort, startMeshcap, startHaproxy, haproxyHead, median, fmt, ratio }, client, server);
      process.stdout.write(`\n${table}\n`);
    });
  }
  if (runs('mtls')) {
    await inLab('bench-mtls', async (client, server) => {
      const table = await benchMtls({ SECONDS, RUNS, SERVER, CLIENT, say, file, run, waitPort, startMeshcap, startHaproxy, haproxyHead, median, fmt, ratio }, client, server);
      process.stdout.write(`\n${table}\n`);
    });
  }
  if (runs('dns')) {
    say('DNS…');
    process.stdout.write(`\n${await benchDns()}\n`);
  }
  if (runs('workers')) {
    say('engine workers…');
    process.stdout.write(`\n${await benchWorkers()}\n`);
  }
  if (runs('xds')) {
    say('xDS…');
    process.stdout.write(`\n${await benchXds()}\n`);
  }
  if (runs('replicas')) {
    say('replicas…');
    process.stdout.write(`\n${await benchReplicas()}\n`);
  }
}

/** Two namespaces joined by a veth (client, server), removed afterwards. */
async function inLab(label: string, body: (client: Host, server: Host) => Promise<void>): Promise<void> {
  const support = netnsSupport();
  if (!support.ok) {
    say(`cannot run: ${support.reason}`);
    process.exitCode = 1;
    return;
  }
  const lab = Lab.create(label);
  try {
    const client = await lab.host('client');
    const server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    await body(client, server);
  } finally {
    await lab.destroy();
  }
}

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const OPEN_CONNECTIONS = Number(process.env.BENCH_OPEN_CONNECTIONS ?? 8);
const OPEN_WARMUP = 1;

interface FixedRate {
  http?: OpenLoopResult;
  tcp?: OpenLoopResult;
  /** Of each proxy (client side, server side) during the HTTP fixed-rate run. */
  httpCost?: ProxyCost;
  tcpCost?: ProxyCost;
}

/** The open-loop runs at RATE req/s (HTTP path :8080, TCP relay :8081), with the cost of `pids` meanwhile. */
async function fixedRate(bin: string, client: Host, pids: readonly number[], what: { http: boolean; tcp: boolean }): Promise<FixedRate> {
  const o = { rate: RATE, seconds: OPEN_SECONDS, connections: OPEN_CONNECTIONS, warmup: OPEN_WARMUP };
  const out: FixedRate = {};
  if (what.http) {
    const { result, cost } = await withCost(pids, () => openLoop(bin, client, SERVER, 8080, o));
    out.http = result;
    out.httpCost = cost;
  }
  if (what.tcp) {
    const { result, cost } = await withCost(pids, () => openLoop(bin, client, SERVER, 8081, o));
    out.tcp = result;
    out.tcpCost = cost;
  }
  return out;
}

const sum = (xs: readonly number[] | undefined): number | undefined => (xs ? xs.reduce((a, b) => a + b, 0) : undefined);
const max = (xs: readonly number[] | undefined): number | undefined => (xs?.length ? Math.max(...xs) : undefined);

function machine(): Record<string, unknown> {
  const haproxy = /HAProxy version (\S+)/.exec(execFileSync('haproxy', ['-v'], { encoding: 'utf8' }))?.[1];
  return { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: release(), node: process.version, haproxy, loadavg: loadavg(), memMiB: Math.round(totalmem() / 2 ** 20) };
}

/** Both dataplanes (client side on 15001, server side on 15006): their pids, idle RSS. */
async function startMeshcapPair(client: Host, server: Host, extra: readonly string[] = []): Promise<{ procs: HostProcess[]; pids: number[]; idleRssMiB: number[] }> {
  const mcServer = await startMeshcap(server, file('server.yaml', backendDp), 'bench-server', extra);
  const mcClient = await startMeshcap(client, file('client.yaml', clientDp), 'bench-client', extra);
  const pids = [await listenerPid(client, 15001), await listenerPid(server, 15006)];
  await new Promise((r) => setTimeout(r, 1000));
  return { procs: [mcClient, mcServer], pids, idleRssMiB: pids.map(rssMiB) };
}

async function stopAll(procs: readonly HostProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop('SIGTERM', 5_000)));
}

async function benchProxies(): Promise<void> {
  const support = netnsSupport();
  if (!support.ok) {
    say(`cannot run: ${support.reason}`);
    process.exitCode = 1;
    return;
  }
  const lab = Lab.create('bench');
  const cleanup = (): void => {
    lab.destroySync();
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const started = new Date();
  const machineAtStart = machine();
  try {
    const openLoopBin = buildOpenLoop(work);
    const client = await lab.host('client');
    const server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    server.spawn('iperf3', ['-s', '-p', '5201']);
    await startHaproxy(server, originConfig, 8080);
    await waitPort(server, 5201);
    say(`namespaces ${client.netns} and ${server.netns}; ${RUNS} runs × ${SECONDS}s each, wrk -t2 -c${CONNECTIONS}, 1 KiB responses; open loop ${RATE} req/s × ${OPEN_SECONDS}s on ${OPEN_CONNECTIONS} connections`);

    say('direct…');
    const direct = { ...(await measure(client, { iperf: true, tcp: true, http: true })), ...(await fixedRate(openLoopBin, client, [], { http: true, tcp: true })) };

    const capture = parseTransparentProxyConfig({ ipFamilyMode: 'ipv4' });
    await installTransparentProxy(capture, { netns: client.netns });
    await installTransparentProxy(capture, { netns: server.netns });

    say('meshcap…');
    let pair = await startMeshcapPair(client, server);
    const meshcap = { ...(await measure(client, { iperf: true, tcp: true, http: true })), ...(await fixedRate(openLoopBin, client, pair.pids, { http: true, tcp: true })), idleRssMiB: pair.idleRssMiB };
    const mcStats = await run(client, ['curl', '-sS', 'http://127.0.0.1:9901/stats?filter=redirect_loop|outbound_.*downstream_cx_total']);
    const relayName = /"relay":\s*"([^"]+)"/.exec(await run(server, ['curl', '-sS', 'http://127.0.0.1:9901/server_info']))?.[1];
    await stopAll(pair.procs);

    say('meshcap, --flow-buffer 1…');
    pair = await startMeshcapPair(client, server, ['--flow-buffer', '1']);
    const flowsOff = { ...(await measure(client, { iperf: false, tcp: false, http: true })), ...(await fixedRate(openLoopBin, client, pair.pids, { http: true, tcp: false })) };
    await stopAll(pair.procs);

    say('meshcap attached to a control plane, a live SSE subscriber on /api/flows/stream…');
    const flowsLive = await withLiveFlowStream(client, server, () => measure(client, { iperf: false, tcp: false, http: true }));

    say('haproxy (tcp mode)…');
    let hc = await startHaproxy(client, haproxyProxyConfig('client', 'tcp'), 15001);
    let hs = await startHaproxy(server, haproxyProxyConfig('server', 'tcp'), 15006);
    let haPids = [await listenerPid(client, 15001), await listenerPid(server, 15006)];
    const haTcp = { ...(await measure(client, { iperf: true, tcp: true, http: false })), ...(await fixedRate(openLoopBin, client, haPids, { http: false, tcp: true })) };
    await Promise.all([hc.stop(), hs.stop()]);
    say('haproxy (tcp mode, forced splice)…');
    hc = await startHaproxy(client, haproxyProxyConfig('client', 'tcp', true), 15001);
    hs = await startHaproxy(server, haproxyProxyConfig('server', 'tcp', true), 15006);
    const haSplice = await measure(client, { iperf: true, tcp: false, http: false });
    await Promise.all([hc.stop(), hs.stop()]);
    say('haproxy (http mode)…');
    hc = await startHaproxy(client, haproxyProxyConfig('client', 'http'), 15001);
    hs = await startHaproxy(server, haproxyProxyConfig('server', 'http'), 15006);
    haPids = [await listenerPid(client, 15001), await listenerPid(server, 15006)];
    const haHttp = { ...(await measure(client, { iperf: false, tcp: false, http: true })), ...(await fixedRate(openLoopBin, client, haPids, { http: true, tcp: false })) };
    await Promise.all([hc.stop(), hs.stop()]);
    await uninstallTransparentProxy(undefined, { netns: client.netns });
    await uninstallTransparentProxy(undefined, { netns: server.netns });

    const haproxy = { iperfGbps: haTcp.iperfGbps, iperfSpliceGbps: haSplice.iperfGbps, tcpRps: haTcp.tcpRps, tcpP50: haTcp.tcpP50, httpRps: haHttp.httpRps, httpP50: haHttp.httpP50, http: haHttp.http, tcp: haTcp.tcp, httpCost: haHttp.httpCost, tcpCost: haTcp.tcpCost };
    const rows: Array<[string, (m: typeof meshcap | typeof haproxy | typeof direct) => number | undefined, number]> = [
      ['iperf3, 1 stream (Gbit/s)', (m) => m.iperfGbps, 2],
      [`wrk -c${CONNECTIONS}, TCP relay (req/s)`, (m) => m.tcpRps, 0],
      [`wrk -c${CONNECTIONS}, TCP relay p50 (ms)`, (m) => m.tcpP50, 3],
      [`wrk -c${CONNECTIONS}, HTTP/1.1 path (req/s)`, (m) => m.httpRps, 0],
      [`wrk -c${CONNECTIONS}, HTTP/1.1 path p50 (ms)`, (m) => m.httpP50, 3],
      ...(['p50', 'p90', 'p99', 'p999'] as const).map((p): [string, (m: typeof direct) => number | undefined, number] => [`${RATE} req/s open loop, HTTP ${p} (ms)`, (m) => m.http?.[p], 3]),
      ...(['p50', 'p90', 'p99', 'p999'] as const).map((p): [string, (m: typeof direct) => number | undefined, number] => [`${RATE} req/s open loop, TCP ${p} (ms)`, (m) => m.tcp?.[p], 3]),
      [`CPU of both proxies at ${RATE} req/s, HTTP (vCPU)`, (m) => sum(m.httpCost?.cpu), 3],
      [`CPU of both proxies at ${RATE} req/s, TCP (vCPU)`, (m) => sum(m.tcpCost?.cpu), 3],
      [`RSS of the larger proxy at ${RATE} req/s, HTTP (MiB)`, (m) => max(m.httpCost?.rssMiB), 1],
    ];
    const lines = [
      '| metric | direct | meshcap | HAProxy 2.6 | meshcap/direct | meshcap/HAProxy |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map(([label, get, d]) => `| ${label} | ${fmt(get(direct), d)} | ${fmt(get(meshcap), d)} | ${fmt(get(haproxy), d)} | ${ratio(get(meshcap), get(direct))} | ${ratio(get(meshcap), get(haproxy))} |`),
    ];
    const added = (m: { http?: OpenLoopResult; tcp?: OpenLoopResult }, kind: 'http' | 'tcp', p: 'p50' | 'p90' | 'p99' | 'p999'): number | undefined => {
      const a = m[kind]?.[p];
      const d = direct[kind]?.[p];
      return a === undefined || d === undefined ? undefined : a - d;
    };
    const cpuPer1000 = (c: ProxyCost | undefined): number | undefined => (c ? (sum(c.cpu)! * 1000) / RATE : undefined);
    const goals: Array<{ figure: string; value: number | undefined; goal: string; met: boolean | undefined; context: string }> = [];
    const goal = (figure: string, value: number | undefined, op: '>=' | '<=', target: number, context: string): void => {
      goals.push({ figure, value, goal: `${op} ${target}`, met: value === undefined || Number.isNaN(value) ? undefined : op === '>=' ? value >= target : value <= target, context });
    };
    const r = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || !b ? undefined : a / b);
    // An added latency at or below zero means the machine's noise exceeded the proxy's cost in that run: no ratio.
    const rAdded = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || a <= 0 || b <= 0 ? undefined : a / b);
    goal('bulk TCP, iperf3: meshcap / HAProxy with forced splice', r(meshcap.iperfGbps, haproxy.iperfSpliceGbps), '>=', 1.0, `${fmt(meshcap.iperfGbps)} vs ${fmt(haproxy.iperfSpliceGbps)} Gbit/s (HAProxy without splice ${fmt(haproxy.iperfGbps)})`);
    goal('TCP relay req/s: meshcap / HAProxy TCP mode', r(meshcap.tcpRps, haproxy.tcpRps), '>=', 1.0, `${fmt(meshcap.tcpRps, 0)} vs ${fmt(haproxy.tcpRps, 0)} req/s`);
    goal('HTTP/1.1 req/s: meshcap / HAProxy HTTP mode', r(meshcap.httpRps, haproxy.httpRps), '>=', 0.8, `${fmt(meshcap.httpRps, 0)} vs ${fmt(haproxy.httpRps, 0)} req/s`);
    goal(`added p99 at ${RATE} req/s, HTTP, two hops: meshcap / HAProxy`, rAdded(added(meshcap, 'http', 'p99'), added(haproxy, 'http', 'p99')), '<=', 1.2, `+${fmt(added(meshcap, 'http', 'p99'), 3)} ms vs +${fmt(added(haproxy, 'http', 'p99'), 3)} ms (p90 +${fmt(added(meshcap, 'http', 'p90'), 3)} ms; Istio's sidecar pair: +0.228/+0.298 ms p90/p99)`);
    goal(`added p99 at ${RATE} req/s, TCP, two hops: meshcap / HAProxy`, rAdded(added(meshcap, 'tcp', 'p99'), added(haproxy, 'tcp', 'p99')), '<=', 1.2, `+${fmt(added(meshcap, 'tcp', 'p99'), 3)} ms vs +${fmt(added(haproxy, 'tcp', 'p99'), 3)} ms`);
    goal('CPU per 1,000 req/s, HTTP, both dataplanes (vCPU)', cpuPer1000(meshcap.httpCost), '<=', 0.2, `HAProxy ${fmt(cpuPer1000(haproxy.httpCost), 3)}; TCP relay: meshcap ${fmt(cpuPer1000(meshcap.tcpCost), 3)}, HAProxy ${fmt(cpuPer1000(haproxy.tcpCost), 3)} (Istio: 0.20 per sidecar)`);
    goal(`RSS of one dataplane at ${RATE} req/s (MB)`, max(meshcap.httpCost?.rssMiB) === undefined ? undefined : (max(meshcap.httpCost?.rssMiB)! * 2 ** 20) / 1e6, '<=', 60, `idle ${meshcap.idleRssMiB.map((x) => fmt(x, 1)).join(' / ')} MiB; HAProxy ${fmt(max(haproxy.httpCost?.rssMiB), 1)} MiB`);
    goal('HTTP req/s with flow recording and a live SSE subscriber / with --flow-buffer 1', r(flowsLive?.httpRps, flowsOff.httpRps), '>=', 0.97, `${fmt(flowsLive?.httpRps, 0)} vs ${fmt(flowsOff.httpRps, 0)} req/s (default ring, no subscriber: ${fmt(meshcap.httpRps, 0)})`);
    goal(`p99 at ${RATE} req/s, HTTP: default flow ring / --flow-buffer 1`, r(meshcap.http?.p99, flowsOff.http?.p99), '<=', 1.1, `${fmt(meshcap.http?.p99, 3)} vs ${fmt(flowsOff.http?.p99, 3)} ms`);
    const goalLines = [
      '| goal | measured | goal | met | figures |',
      '|---|---:|---:|:---:|---|',
      ...goals.map((g) => `| ${g.figure} | ${fmt(g.value, 2)} | ${g.goal} | ${g.met === undefined ? '—' : g.met ? 'yes' : 'no'} | ${g.context} |`),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n${goalLines.join('\n')}\n\n`);
    process.stdout.write(
      'Through meshcap and HAProxy each request crosses two proxies (client outbound capture, server inbound capture).\n' +
        `HAProxy: TCP mode for iperf3 and the TCP relay rows (and with forced splice for the iperf3 goal), HTTP mode for the HTTP rows; nbthread 1. meshcap TCP relay: ${relayName ?? '?'}.\n` +
        `Open loop: our client (bench/open-loop.c), ${RATE} req/s for ${OPEN_SECONDS}s after ${OPEN_WARMUP}s warmup, ${OPEN_CONNECTIONS} keep-alive connections, latency from the intended send time.\n` +
        `Latency rows: lower is better, so their ratio above 1 means slower. meshcap client dataplane: ${mcStats.trim().replaceAll('\n', '; ')}\n`,
    );
    const results = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(results, { recursive: true });
    const out = join(results, `proxy-${started.toISOString().replaceAll(':', '-').slice(0, 19)}.json`);
    const config = { seconds: SECONDS, runs: RUNS, connections: CONNECTIONS, rate: RATE, openSeconds: OPEN_SECONDS, openConnections: OPEN_CONNECTIONS, relay: relayName };
    writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), machine: { ...machineAtStart, loadavgAtEnd: loadavg() }, config, direct, meshcap, meshcapFlowBuffer1: flowsOff, meshcapLiveFlowStream: flowsLive, haproxy: { tcp: haTcp, tcpSplice: haSplice, http: haHttp }, goals }, null, 2)}\n`);
    say(`raw figures: ${out}`);
  } finally {
    await lab.destroy();
  }
}

/**
 * Both dataplanes attached to a real `meshcap cp` (its Unix socket; default flow ring, flows sent
 * to the control plane in batches) with a live subscriber (curl) on the control plane's SSE flow
 * stream, while `body` runs. Returns what body returns; says how many bytes the subscriber got.
 */
async function withLiveFlowStream<T>(client: Host, server: Host, body: () => Promise<T>): Promise<T | undefined> {
  const where = cpDir('meshcap-bench-cp-');
  let cp: Cp | undefined;
  const procs: HostProcess[] = [];
  let sse: ChildProcess | undefined;
  try {
    cp = await startCp(where);
    const attach = async (name: string): Promise<string[]> => {
      const { token } = await cpApi<{ token: string }>(cp!, '/api/tokens/dataplane', { method: 'POST', body: JSON.stringify({ name }) });
      const tokenFile = join(where.dir, `${name}.token`);
      writeFileSync(tokenFile, token, { mode: 0o644 });
      return ['--cp', `unix:${where.socket}`, '--dataplane-token-file', tokenFile];
    };
    procs.push(await startMeshcap(server, file('server.yaml', backendDp), 'bench-server', await attach('bench-server')));
    procs.push(await startMeshcap(client, file('client.yaml', clientDp), 'bench-client', await attach('bench-client')));
    await Promise.all(procs.map((p) => p.waitForLine(/connected to the control plane as default\//, 30_000)));
    const received = join(where.dir, 'sse.out');
    sse = spawn('curl', ['-sSN', '-o', received, '-H', `authorization: Bearer ${CP_TOKEN}`, `${cp.url}/api/flows/stream`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const result = await body();
    await new Promise((r) => setTimeout(r, 1000));
    let bytes = 0;
    try {
      bytes = statSync(received).size;
    } catch {
      // nothing arrived
    }
    say(`live flow stream: the SSE subscriber received ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    return result;
  } catch (err) {
    say(`live flow stream: not measured (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  } finally {
    sse?.kill();
    await stopAll(procs);
    await stopCp(cp);
    rmSync(where.dir, { recursive: true, force: true });
  }
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
