// `npm run bench`: direct vs meshcap vs HAProxy, same namespaces, same load, one run; then HTTP/2 and
// gRPC (bench/h2.ts); mTLS vs HAProxy with TLS between the proxies (bench/mtls.ts); then DNS
// queries/s through the dataplane's DNS proxy vs the upstream directly (bench/dns.ts); then the
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
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTransparentProxy, parseTransparentProxyConfig, uninstallTransparentProxy } from '@meshcap/core';
import { Lab, netnsSupport, type Host, type HostProcess } from '@meshcap/testkit';
import { benchH2 } from './h2.ts';
import { median, runIn } from './host-run.ts';
import { benchDns } from './dns.ts';
import { benchMtls } from './mtls.ts';
import { benchReplicas } from './replicas.ts';
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
  const out = await run(client, ['wrk', '-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', `http://${SERVER}:${port}/`]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = /\n\s+50%\s+([\d.]+)(us|ms|s)/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) say(`wrk :${port}: ${errors[0]}`);
  const unit = p50?.[2] === 'us' ? 0.001 : p50?.[2] === 's' ? 1000 : 1;
  return { rps, p50ms: Number(p50?.[1]) * unit };
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

function haproxyProxyConfig(side: 'client' | 'server', mode: 'tcp' | 'http'): string {
  const port = side === 'client' ? 15001 : 15006;
  const source = side === 'server' ? ' source 127.0.0.6' : '';
  return `${haproxyHead(mode, true)}${mode === 'http' ? '  option http-keep-alive\n' : ''}frontend capture
  bind 0.0.0.0:${port}
  default_backend original_destination
backend original_destination
  server s 0.0.0.0:0${source}
`;
}

const backendDp = `type: Dataplane
mesh: default
name: bench-server
networking:
  address: ${SERVER}
  inbound:
    - port: 8080
      tags: { kuma.io/service: origin-http, kuma.io/protocol: http }
    - port: 8081
      tags: { kuma.io/service: origin-tcp }
    - port: 5201
      tags: { kuma.io/service: iperf }
  transparentProxying: { ipFamilyMode: IPv4 }
`;
const clientDp = `type: Dataplane
mesh: default
name: bench-client
networking:
  address: ${CLIENT}
  outbound:
    - port: 8080
      address: ${SERVER}
      tags: { kuma.io/service: origin-http }
  transparentProxying: { ipFamilyMode: IPv4 }
---
${backendDp}`;

async function startMeshcap(host: Host, path: string, name: string): Promise<HostProcess> {
  // A short drain, well inside stop()'s 5 s grace: a SIGKILL of the root parent would leave the
  // proxy-user child (which holds the output pipe) behind, and stop() would wait for it.
  const proc = host.spawn(process.execPath, [meshcapBin, 'dp', '--dataplane-file', path, '--name', name, '--drain-time', '1s']);
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

/** BENCH_ONLY=proxy, BENCH_ONLY=h2, BENCH_ONLY=mtls, BENCH_ONLY=dns, BENCH_ONLY=xds or BENCH_ONLY=replicas runs one part. */
const ONLY = process.env.BENCH_ONLY;
const runs = (part: 'proxy' | 'h2' | 'mtls' | 'dns' | 'xds' | 'replicas'): boolean => ONLY === undefined || ONLY === part;

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
  try {
    const client = await lab.host('client');
    const server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    server.spawn('iperf3', ['-s', '-p', '5201']);
    await startHaproxy(server, originConfig, 8080);
    await waitPort(server, 5201);
    say(`namespaces ${client.netns} and ${server.netns}; ${RUNS} runs × ${SECONDS}s each, wrk -t2 -c${CONNECTIONS}, 1 KiB responses`);

    say('direct…');
    const direct = await measure(client, { iperf: true, tcp: true, http: true });

    const capture = parseTransparentProxyConfig({ ipFamilyMode: 'ipv4' });
    await installTransparentProxy(capture, { netns: client.netns });
    await installTransparentProxy(capture, { netns: server.netns });

    say('meshcap…');
    const mcServer = await startMeshcap(server, file('server.yaml', backendDp), 'bench-server');
    const mcClient = await startMeshcap(client, file('client.yaml', clientDp), 'bench-client');
    const meshcap = await measure(client, { iperf: true, tcp: true, http: true });
    const mcStats = await run(client, ['curl', '-sS', 'http://127.0.0.1:9901/stats?filter=redirect_loop|outbound_.*downstream_cx_total']);
    await Promise.all([mcClient.stop('SIGTERM', 5_000), mcServer.stop('SIGTERM', 5_000)]);

    say('haproxy (tcp mode)…');
    let hc = await startHaproxy(client, haproxyProxyConfig('client', 'tcp'), 15001);
    let hs = await startHaproxy(server, haproxyProxyConfig('server', 'tcp'), 15006);
    const haTcp = await measure(client, { iperf: true, tcp: true, http: false });
    await Promise.all([hc.stop(), hs.stop()]);
    say('haproxy (http mode)…');
    hc = await startHaproxy(client, haproxyProxyConfig('client', 'http'), 15001);
    hs = await startHaproxy(server, haproxyProxyConfig('server', 'http'), 15006);
    const haHttp = await measure(client, { iperf: false, tcp: false, http: true });
    await Promise.all([hc.stop(), hs.stop()]);
    await uninstallTransparentProxy(undefined, { netns: client.netns });
    await uninstallTransparentProxy(undefined, { netns: server.netns });

    const haproxy: Measured = { iperfGbps: haTcp.iperfGbps, tcpRps: haTcp.tcpRps, tcpP50: haTcp.tcpP50, httpRps: haHttp.httpRps, httpP50: haHttp.httpP50 };
    const rows: Array<[string, keyof Measured, number]> = [
      ['iperf3, 1 stream (Gbit/s)', 'iperfGbps', 2],
      [`wrk -c${CONNECTIONS}, TCP relay (req/s)`, 'tcpRps', 0],
      [`wrk -c${CONNECTIONS}, TCP relay p50 (ms)`, 'tcpP50', 3],
      [`wrk -c${CONNECTIONS}, HTTP/1.1 path (req/s)`, 'httpRps', 0],
      [`wrk -c${CONNECTIONS}, HTTP/1.1 path p50 (ms)`, 'httpP50', 3],
    ];
    const lines = [
      '| metric | direct | meshcap | HAProxy 2.6 | meshcap/direct | meshcap/HAProxy |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map(([label, key, d]) => `| ${label} | ${fmt(direct[key], d)} | ${fmt(meshcap[key], d)} | ${fmt(haproxy[key], d)} | ${ratio(meshcap[key], direct[key])} | ${ratio(meshcap[key], haproxy[key])} |`),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    process.stdout.write(
      'Through meshcap and HAProxy each request crosses two proxies (client outbound capture, server inbound capture).\n' +
        'HAProxy: TCP mode for iperf3 and the TCP relay rows, HTTP mode for the HTTP rows; nbthread 1.\n' +
        `Latency rows: lower is better, so their ratio above 1 means slower. meshcap client dataplane: ${mcStats.trim().replaceAll('\n', '; ')}\n`,
    );
  } finally {
    await lab.destroy();
  }
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
