// The mTLS part of `npm run bench` (BENCH_ONLY=mtls): what mesh TLS costs, meshcap against HAProxy
// with TLS on the hop between the two proxies, in the proxy part's two namespaces. meshcap needs
// its control plane for mTLS (the builtin CA issues the certificates, SDS delivers them), so a real
// `meshcap cp` runs here and the two dataplanes connect to its socket; the Mesh is pushed first
// without mTLS (plaintext), then with STRICT mTLS. HAProxy: the same capture rules, the client side
// originating TLS to the original destination with a client certificate (`ssl verify required`),
// the server side terminating it on 15006 and requiring the client's certificate from the same CA
// (openssl-made, RSA 2048 as the builtin CA's leaves), TLS 1.3 both.
// Rows: HTTP/1.1 req/s over kept-alive connections (wrk -c16), new connections per second through
// the TCP relay (wrk with `Connection: close`: every request is a new TCP connection and so a new
// TLS handshake between the proxies), and the latency of one request at a time (wrk -c1 -t1,
// p50/p99) to show what mTLS adds over plaintext.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { installTransparentProxy, parseTransparentProxyConfig, uninstallTransparentProxy } from '@meshcap/core';
import type { Host, HostProcess } from '@meshcap/testkit';
import { api, cpDir, eventually, flowsOf, startCp, startDataplanes, stopCp } from '../apps/api/src/integration/cp-process.ts';
import { benchDataplane } from './bench-dataplane.ts';
import type { BenchHelpers } from './h2.ts';
import { parseWrk } from './wrk.ts';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const mesh = (mtls: boolean): string => `type: Mesh
name: default
${mtls ? 'mtls:\n  enabledBackend: ca-1\n  backends:\n    - { name: ca-1, type: builtin, mode: STRICT }\n' : ''}`;

function dataplanes(h: BenchHelpers): { server: string; client: string } {
  return {
    server: benchDataplane('mtls-server', h.SERVER, {
      inbound: [
        { port: 8080, service: 'origin-http', protocol: 'http' },
        { port: 8081, service: 'origin-tcp' },
      ],
    }),
    client: benchDataplane('mtls-client', h.CLIENT, {
      inbound: [{ port: 7000, service: 'bench-client' }],
      outbound: [
        { port: 8080, address: h.SERVER, service: 'origin-http' },
        { port: 8081, address: h.SERVER, service: 'origin-tcp' },
      ],
    }),
  };
}

/** A CA and two leaves for HAProxy, made by openssl in `dir` (each `.pem` holds a certificate and its key, as `crt` wants). */
function haproxyCertificates(dir: string): { ca: string; server: string; client: string } {
  execFileSync('sh', ['-ec', `cd ${dir}
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca -keyout ca.key -out ca.pem
for who in server client; do
  openssl req -newkey rsa:2048 -nodes -subj /CN=$who -keyout $who.key -out $who.csr
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -out $who.crt
  cat $who.crt $who.key > $who.pem
done`], { stdio: 'ignore' });
  return { ca: join(dir, 'ca.pem'), server: join(dir, 'server.pem'), client: join(dir, 'client.pem') };
}

function haproxyTls(h: BenchHelpers, side: 'client' | 'server', mode: 'tcp' | 'http', certs: { ca: string; server: string; client: string }): string {
  const keepAlive = mode === 'http' ? '  option http-keep-alive\n' : '';
  return side === 'client'
    ? `${h.haproxyHead(mode, true)}${keepAlive}frontend capture
  bind 0.0.0.0:15001
  default_backend original_destination
backend original_destination
  server s 0.0.0.0:0 ssl verify required ca-file ${certs.ca} crt ${certs.client} ssl-min-ver TLSv1.3
`
    : `${h.haproxyHead(mode, true)}${keepAlive}frontend capture
  bind 0.0.0.0:15006 ssl crt ${certs.server} ca-file ${certs.ca} verify required ssl-min-ver TLSv1.3
  default_backend original_destination
backend original_destination
  server s 0.0.0.0:0 source 127.0.0.6
`;
}

interface Measured {
  httpRps?: number;
  connPerSec?: number;
  p50?: number;
  p99?: number;
}

/** wrk's req/s and its 50 % / 99 % latencies (ms). */
async function wrk(h: BenchHelpers, client: Host, args: string[], port: number): Promise<{ rps: number; p50: number; p99: number }> {
  const r = parseWrk(await h.run(client, ['wrk', ...args, `-d${h.SECONDS}s`, '--latency', `http://${h.SERVER}:${port}/`]));
  if (r.errors) h.say(`wrk :${port} ${args.join(' ')}: ${r.errors}`);
  return { rps: r.rps, p50: r.p50ms, p99: r.p99ms };
}

async function measure(h: BenchHelpers, client: Host, what: { http: boolean; tcp: boolean }): Promise<Measured> {
  const http: number[] = [];
  const conns: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  for (let i = 0; i < h.RUNS; i++) {
    if (what.http) {
      http.push((await wrk(h, client, ['-t2', `-c${CONNECTIONS}`], 8080)).rps);
      const one = await wrk(h, client, ['-t1', '-c1'], 8080);
      p50.push(one.p50);
      p99.push(one.p99);
    }
    if (what.tcp) conns.push((await wrk(h, client, ['-t2', `-c${CONNECTIONS}`, '-H', 'Connection: close'], 8081)).rps);
  }
  const m = (xs: number[]): number | undefined => (xs.length ? h.median(xs) : undefined);
  return { httpRps: m(http), connPerSec: m(conns), p50: m(p50), p99: m(p99) };
}

/** Waits until the server dataplane's inbound flows are mTLS-verified (the certificates arrived over SDS). */
async function untilMtls(cp: Awaited<ReturnType<typeof startCp>>, client: Host, h: BenchHelpers): Promise<void> {
  await eventually(async () => {
    await h.run(client, ['curl', '-sS', '-o', '/dev/null', '--max-time', '5', `http://${h.SERVER}:8080/`]).catch(() => '');
    const flows = await flowsOf(cp, 'mtls-server', 20);
    return flows.some((f) => f.direction === 'inbound' && f.tls?.mode === 'mtls' && f.tls.verified) ? true : undefined;
  }, 'mTLS in force between the bench dataplanes', 60_000);
}

export async function benchMtls(h: BenchHelpers, client: Host, server: Host): Promise<string> {
  await h.startHaproxy(server, `${h.haproxyHead('http', false)}frontend origin
  bind :::8080 v4v6
  bind :::8081 v4v6
  http-request return status 200 content-type text/plain string "${'x'.repeat(1024)}"
`, 8080);
  const capture = parseTransparentProxyConfig({ ipFamilyMode: 'ipv4' });
  await installTransparentProxy(capture, { netns: client.netns });
  await installTransparentProxy(capture, { netns: server.netns });
  h.say(`mtls: ${h.RUNS} runs × ${h.SECONDS}s, wrk -c${CONNECTIONS} (req/s, new connections/s) and -c1 (latency)`);

  const where = cpDir('meshcap-bench-mtls-');
  const cp = await startCp(where);
  let dps: HostProcess[] = [];
  let plain: Measured;
  let mtls: Measured;
  let certificate: string;
  let sslStats: string;
  try {
    await api(cp, '/api/resources', { method: 'POST', body: mesh(false), type: 'application/yaml' });
    const files = dataplanes(h);
    dps = await startDataplanes(cp, where, [
      { name: 'mtls-server', host: server, yaml: files.server },
      { name: 'mtls-client', host: client, yaml: files.client },
    ]);
    h.say('mtls: meshcap plaintext…');
    plain = await measure(h, client, { http: true, tcp: true });
    await api(cp, '/api/resources', { method: 'POST', body: mesh(true), type: 'application/yaml' });
    await untilMtls(cp, client, h);
    certificate = (await api<{ certificate: { sans: string[] } }>(cp, '/api/meshes/default/dataplanes/mtls-server/certificate')).certificate.sans.join(' ');
    h.say('mtls: meshcap STRICT mTLS…');
    mtls = await measure(h, client, { http: true, tcp: true });
    sslStats = (await h.run(client, ['curl', '-sS', 'http://127.0.0.1:9901/stats?filter=origin-tcp.ssl'])).trim().replaceAll('\n', '; ');
  } finally {
    await Promise.all(dps.map((d) => d.stop('SIGTERM', 5_000)));
    await stopCp(cp);
  }

  const certs = haproxyCertificates(where.dir);
  h.say('mtls: haproxy with TLS between the proxies (http mode)…');
  let hc = await h.startHaproxy(client, haproxyTls(h, 'client', 'http', certs), 15001);
  let hs = await h.startHaproxy(server, haproxyTls(h, 'server', 'http', certs), 15006);
  const haHttp = await measure(h, client, { http: true, tcp: false });
  await Promise.all([hc.stop(), hs.stop()]);
  h.say('mtls: haproxy with TLS between the proxies (tcp mode)…');
  hc = await h.startHaproxy(client, haproxyTls(h, 'client', 'tcp', certs), 15001);
  hs = await h.startHaproxy(server, haproxyTls(h, 'server', 'tcp', certs), 15006);
  const haTcp = await measure(h, client, { http: false, tcp: true });
  await Promise.all([hc.stop(), hs.stop()]);
  await uninstallTransparentProxy(undefined, { netns: client.netns });
  await uninstallTransparentProxy(undefined, { netns: server.netns });
  rmSync(where.dir, { recursive: true, force: true });

  const haproxy: Measured = { ...haHttp, connPerSec: haTcp.connPerSec };
  const rows: Array<[string, keyof Measured, number]> = [
    [`wrk -c${CONNECTIONS}, HTTP/1.1, kept-alive (req/s)`, 'httpRps', 0],
    [`wrk -c${CONNECTIONS}, Connection: close through the TCP relay: handshakes (new connections/s)`, 'connPerSec', 0],
    ['wrk -c1, HTTP/1.1, one request at a time, p50 (ms)', 'p50', 3],
    ['wrk -c1, HTTP/1.1, one request at a time, p99 (ms)', 'p99', 3],
  ];
  const added = (k: 'p50' | 'p99'): string => (plain[k] === undefined || mtls[k] === undefined ? '—' : `${(mtls[k] - plain[k]) >= 0 ? '+' : ''}${(mtls[k] - plain[k]).toFixed(3)} ms`);
  return [
    '| metric | meshcap plaintext | meshcap mTLS | HAProxy 2.6 TLS | mTLS/plaintext | meshcap mTLS/HAProxy TLS |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(([label, key, d]) => `| ${label} | ${h.fmt(plain[key], d)} | ${h.fmt(mtls[key], d)} | ${h.fmt(haproxy[key], d)} | ${h.ratio(mtls[key], plain[key])} | ${h.ratio(mtls[key], haproxy[key])} |`),
    '',
    `Added by meshcap's mTLS over its plaintext, one request at a time: p50 ${added('p50')}, p99 ${added('p99')}. Upstream TLS sessions resumed (client dataplane): ${sslStats}.`,
    `Two proxies per request; TLS on the hop between them (meshcap: STRICT mTLS from the builtin CA, server certificate ${certificate}; HAProxy: TLS 1.3 with client certificates both ways). Latency rows: lower is better.`,
  ].join('\n');
}
