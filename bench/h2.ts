// The HTTP/2 part of `npm run bench` (BENCH_ONLY=h2): h2load through meshcap vs HAProxy in HTTP/2
// mode vs direct, same two namespaces as the proxy part. Two origins in `server`:
//   :8090  HAProxy answering 1 KiB itself over h2c (`bind … proto h2`): a C origin for h2load's
//          GET row (`kuma.io/protocol: http2`);
//   :50051 a @grpc/grpc-js server (raw-bytes echo): h2load POSTs a gRPC-framed 5-byte message to
//          /test.Echo/Unary, the gRPC unary calls/s row (`kuma.io/protocol: grpc`).
// meshcap: the default capture rules and `meshcap dp` on both sides (HTTP/2 both hops, one
// upstream connection multiplexing the streams); HAProxy: `mode http`, `proto h2` on the capture
// bind and on `server s 0.0.0.0:0` (both hops h2c), nbthread 1.
import { fileURLToPath } from 'node:url';
import { installTransparentProxy, parseTransparentProxyConfig, uninstallTransparentProxy } from '@meshcap/core';
import type { Host, HostProcess } from '@meshcap/testkit';
import { benchDataplane } from './bench-dataplane.ts';

export interface BenchHelpers {
  SECONDS: number;
  RUNS: number;
  SERVER: string;
  CLIENT: string;
  say(text: string): void;
  file(name: string, text: string): string;
  run(host: Host, argv: string[], timeoutMs?: number): Promise<string>;
  waitPort(host: Host, port: number): Promise<void>;
  startMeshcap(host: Host, path: string, name: string): Promise<HostProcess>;
  startHaproxy(host: Host, config: string, port: number): Promise<HostProcess>;
  haproxyHead(mode: 'tcp' | 'http', proxyUser: boolean): string;
  median(xs: number[]): number;
  fmt(n: number | undefined, digits?: number): string;
  ratio(a: number | undefined, b: number | undefined): string;
}

const CLIENTS = Number(process.env.BENCH_H2_CLIENTS ?? 4);
const STREAMS = Number(process.env.BENCH_H2_STREAMS ?? 32);
const grpcApp = fileURLToPath(new URL('../packages/core/src/proxy/http2/testing/grpc-app.mjs', import.meta.url));

const ONE_KIB = 'x'.repeat(1024);
const h2Origin = (h: BenchHelpers): string => `${h.haproxyHead('http', false)}frontend origin
  bind :::8090 v4v6 proto h2
  http-request return status 200 content-type text/plain string "${ONE_KIB}"
`;

function haproxyH2(h: BenchHelpers, side: 'client' | 'server'): string {
  const port = side === 'client' ? 15001 : 15006;
  return `${h.haproxyHead('http', true)}frontend capture
  bind 0.0.0.0:${port} proto h2
  default_backend original_destination
backend original_destination
  server s 0.0.0.0:0 proto h2${side === 'server' ? ' source 127.0.0.6' : ''}
`;
}

function dataplanes(h: BenchHelpers): { server: string; client: string } {
  const server = benchDataplane('h2-server', h.SERVER, {
    inbound: [
      { port: 8090, service: 'origin-h2', protocol: 'http2' },
      { port: 50051, service: 'origin-grpc', protocol: 'grpc' },
    ],
  });
  const client = benchDataplane('h2-client', h.CLIENT, {
    outbound: [
      { port: 8090, address: h.SERVER, service: 'origin-h2' },
      { port: 50051, address: h.SERVER, service: 'origin-grpc' },
    ],
  });
  // No control plane: the client's dp learns the server's endpoints from its Dataplane.
  return { server, client: `${client}---\n${server}` };
}

interface Measured {
  getRps?: number;
  grpcRps?: number;
}

/** h2load for BENCH_SECONDS; its req/s, and a warning when not every request succeeded. */
async function h2load(h: BenchHelpers, client: Host, url: string, extra: string[]): Promise<number> {
  const out = await h.run(client, ['h2load', '-c', String(CLIENTS), '-m', String(STREAMS), '-D', String(h.SECONDS), ...extra, url]);
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const r = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (!r || r[5] !== '0' || r[6] !== '0') h.say(`h2load ${url}: ${r?.[0] ?? out.trim()}`);
  return rps;
}

async function measure(h: BenchHelpers, client: Host, grpcBody: string): Promise<Measured> {
  const get: number[] = [];
  const grpc: number[] = [];
  for (let i = 0; i < h.RUNS; i++) {
    get.push(await h2load(h, client, `http://${h.SERVER}:8090/`, []));
    grpc.push(await h2load(h, client, `http://${h.SERVER}:50051/test.Echo/Unary`, ['-d', grpcBody, '-H', 'content-type: application/grpc', '-H', 'te: trailers']));
  }
  return { getRps: h.median(get), grpcRps: h.median(grpc) };
}

export async function benchH2(h: BenchHelpers, client: Host, server: Host): Promise<string> {
  // One gRPC message: uncompressed flag, 4-byte big-endian length, payload.
  const payload = Buffer.from('hello');
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, payload.length]), payload]);
  const grpcBody = h.file('grpc-unary.bin', frame.toString('latin1'));
  await h.startHaproxy(server, h2Origin(h), 8090);
  const app = server.spawnNode(grpcApp, ['--port', '50051']);
  await app.waitForLine(/"listening"/);
  h.say(`h2: ${h.RUNS} runs × ${h.SECONDS}s, h2load -c${CLIENTS} -m${STREAMS}`);

  h.say('h2 direct…');
  const direct = await measure(h, client, grpcBody);

  const capture = parseTransparentProxyConfig({ ipFamilyMode: 'ipv4' });
  await installTransparentProxy(capture, { netns: client.netns });
  await installTransparentProxy(capture, { netns: server.netns });
  h.say('h2 meshcap…');
  const dps = dataplanes(h);
  const mcServer = await h.startMeshcap(server, h.file('h2-server.yaml', dps.server), 'h2-server');
  const mcClient = await h.startMeshcap(client, h.file('h2-client.yaml', dps.client), 'h2-client');
  const meshcap = await measure(h, client, grpcBody);
  const mcStats = await h.run(client, ['curl', '-sS', 'http://127.0.0.1:9901/stats?filter=cluster.origin-(h2|grpc).upstream_cx_total|downstream_cx_http2_total']);
  await Promise.all([mcClient.stop('SIGTERM', 5_000), mcServer.stop('SIGTERM', 5_000)]);

  h.say('h2 haproxy (http mode, proto h2)…');
  const hc = await h.startHaproxy(client, haproxyH2(h, 'client'), 15001);
  const hs = await h.startHaproxy(server, haproxyH2(h, 'server'), 15006);
  const haproxy = await measure(h, client, grpcBody);
  await Promise.all([hc.stop(), hs.stop()]);
  await uninstallTransparentProxy(undefined, { netns: client.netns });
  await uninstallTransparentProxy(undefined, { netns: server.netns });
  await app.stop();

  const rows: Array<[string, keyof Measured]> = [
    [`h2load -c${CLIENTS} -m${STREAMS}, GET 1 KiB over h2c (req/s)`, 'getRps'],
    [`h2load -c${CLIENTS} -m${STREAMS}, gRPC unary to @grpc/grpc-js (calls/s)`, 'grpcRps'],
  ];
  return [
    '| metric | direct | meshcap | HAProxy 2.6 (proto h2) | meshcap/direct | meshcap/HAProxy |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(([label, key]) => `| ${label} | ${h.fmt(direct[key], 0)} | ${h.fmt(meshcap[key], 0)} | ${h.fmt(haproxy[key], 0)} | ${h.ratio(meshcap[key], direct[key])} | ${h.ratio(meshcap[key], haproxy[key])} |`),
    '',
    `Two proxies per request (client outbound, server inbound), HTTP/2 both hops. meshcap client dataplane: ${mcStats.trim().replaceAll('\n', '; ')}`,
  ].join('\n');
}
