import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@meshcap/testkit';
import type { FlowRecord } from '../../flows/index.ts';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import type { EnvoyMessage } from '../../xds/envoy-json.ts';
import { startDataplane, type DataplaneHandle } from '../engine.ts';
import { dataplaneYaml, resourcesYaml, type InboundFixture } from '../../testing.ts';

// gRPC through meshcap dp, from the Envoy resources a real PolicyCompiler renders for
// `kuma.io/protocol: grpc` services: a real @grpc/grpc-js client calls web's outbound listener,
// web's dp speaks HTTP/2 to backend's inbound listener, backend's dp to a real @grpc/grpc-js
// server. Loopback, explicit mode (the capture path is transparent.test.ts's subject).

const WEB = '127.0.0.2';
const FLAKY = '127.0.0.4';

/** Raw-bytes methods: no protobuf needed to exercise the transport. */
const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
const SERVICE = {
  unary: { path: '/test.Echo/Unary', requestStream: false, responseStream: false, ...raw },
  slow: { path: '/test.Echo/Slow', requestStream: false, responseStream: false, ...raw },
  flaky: { path: '/test.Echo/Flaky', requestStream: false, responseStream: false, ...raw },
  list: { path: '/test.Echo/List', requestStream: false, responseStream: true, ...raw },
  flood: { path: '/test.Echo/Flood', requestStream: false, responseStream: true, ...raw },
  chat: { path: '/test.Echo/Chat', requestStream: true, responseStream: true, ...raw },
} satisfies grpc.ServiceDefinition;
const EchoClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
type Client = InstanceType<typeof EchoClient> & Record<string, (...args: unknown[]) => unknown>;

const BIG = 4 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'meshcap-grpc-'));
const LOG = join(dir, 'access.log');
const LIMITS = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };

interface App {
  server: grpc.Server;
  port: number;
  /** Calls cancelled by their client, as the server saw them. */
  cancelled: number;
  flakyHits: Map<string, number>;
  /** Bytes the Flood method got written (it writes while the stream takes them, up to 64 MiB). */
  flooded: number;
}

async function startApp(host: string): Promise<App> {
  const app: App = { server: new grpc.Server(LIMITS), port: 0, cancelled: 0, flakyHits: new Map(), flooded: 0 };
  app.server.addService(SERVICE, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const n = call.request.length;
      cb(null, n > 100 ? Buffer.alloc(BIG, 7) : Buffer.concat([Buffer.from('echo:'), call.request]));
    },
    slow: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void setTimeout(() => cb(null, Buffer.from('late')), 1_000),
    flaky: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const key = call.request.toString();
      const n = (app.flakyHits.get(key) ?? 0) + 1;
      app.flakyHits.set(key, n);
      if (n === 1) cb({ code: grpc.status.UNAVAILABLE, details: 'first attempt fails' });
      else cb(null, Buffer.from(`ok after ${n}`));
    },
    list: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const count = Number(call.request.toString());
      if (count === 0) {
        // Endless until the client cancels.
        const t = setInterval(() => call.write(Buffer.from('tick')), 5);
        call.on('cancelled', () => {
          clearInterval(t);
          app.cancelled++;
        });
        return;
      }
      for (let i = 0; i < count; i++) call.write(Buffer.from(`item ${i}`));
      call.end();
    },
    flood: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const block = Buffer.alloc(64 * 1024, 3);
      const pump = (): void => {
        while (app.flooded < 64 * 1024 * 1024 && !call.cancelled) {
          app.flooded += block.length;
          if (!call.write(block)) return void call.once('drain', pump);
        }
        call.end();
      };
      pump();
    },
    chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (m: Buffer) => call.write(Buffer.concat([Buffer.from('re:'), m])));
      call.on('end', () => call.end());
    },
  });
  app.port = await new Promise<number>((resolve, reject) => app.server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return app;
}

function client(port: number): Client {
  return new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), LIMITS) as Client;
}

function unary(c: Client, method: 'unary' | 'slow' | 'flaky', body: Buffer, deadlineMs?: number): Promise<{ ok: Buffer } | { err: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const options = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    c[method]!(body, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: Buffer) => resolve(err ? { err } : { ok: res }));
  });
}

describe('gRPC through meshcap dp (HTTP/2, from xDS)', () => {
  let app: App;
  let flakyApp: App;
  let backend: DataplaneHandle;
  let web: DataplaneHandle;
  let pc: PolicyCompiler;
  const port: Record<string, number> = {};
  const clients: Client[] = [];

  const flows = (dp: DataplaneHandle, pred: (f: FlowRecord) => boolean): FlowRecord[] => dp.flows.recent(10_000).filter(pred);
  const stat = (dp: DataplaneHandle, name: string): number => dp.stats().find((s) => s.name === name)?.value ?? NaN;
  const inboundOf = (name: string): string => `inbound:127.0.0.1:${port[name]}`;
  const use = (p: number): Client => {
    const c = client(p);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    app = await startApp('127.0.0.1');
    flakyApp = await startApp(FLAKY);
    for (const k of ['echo', 'abort', 'exhausted', 'secret', 'slow', 'limited', 'web', 'outEcho', 'outFlaky']) port[k] = await freePort();
    const grpcInbound = (name: string): InboundFixture => ({ port: port[name]!, servicePort: app.port, service: name, protocol: 'grpc' });
    pc = new PolicyCompiler();
    pc.applyAll(
      parseResources(`
${resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'backend', address: '127.0.0.1', inbound: ['echo', 'abort', 'exhausted', 'secret', 'slow', 'limited'].map(grpcInbound) }),
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: WEB,
    inbound: [{ port: port['web']!, servicePort: app.port, service: 'web', protocol: 'grpc' }],
    outbound: [
      { port: port['outEcho']!, service: 'echo' },
      { port: port['outFlaky']!, service: 'flaky' },
    ],
  }),
  dataplaneYaml({ mesh: 'default', name: 'flaky-1', address: FLAKY, inbound: [{ port: flakyApp.port, service: 'flaky', protocol: 'grpc' }] }),
)}---
type: MeshFaultInjection
name: fi-unavailable
mesh: default
spec:
  targetRef: { kind: MeshService, name: abort }
  from:
    - { targetRef: { kind: Mesh }, default: { http: [{ abort: { httpStatus: 503, percentage: 100 } }] } }
---
type: MeshFaultInjection
name: fi-exhausted
mesh: default
spec:
  targetRef: { kind: MeshService, name: exhausted }
  from:
    - { targetRef: { kind: Mesh }, default: { http: [{ abort: { grpcStatus: 8, percentage: 100 } }] } }
---
type: MeshRateLimit
name: rl
mesh: default
spec:
  targetRef: { kind: MeshService, name: limited }
  from:
    - { targetRef: { kind: Mesh }, default: { local: { http: { requestRate: { num: 2, interval: 1m } } } } }
---
type: MeshAccessLog
name: al
mesh: default
spec:
  targetRef: { kind: MeshService, name: abort }
  from:
    - targetRef: { kind: Mesh }
      default: { backends: [{ file: { path: ${LOG}, format: { plain: '%REQ(:PATH)% %PROTOCOL% %RESPONSE_CODE% %GRPC_STATUS% %GRPC_STATUS_NUMBER%' } } }] }
---
type: MeshTrafficPermission
name: secret-deny
mesh: default
spec:
  targetRef: { kind: MeshService, name: secret }
  from:
    - { targetRef: { kind: Mesh }, default: { action: Deny } }
---
type: MeshTimeout
name: slow-timeout
mesh: default
spec:
  targetRef: { kind: MeshService, name: slow }
  from:
    - { targetRef: { kind: Mesh }, default: { http: { requestTimeout: 300ms } } }
---
type: MeshRetry
name: retry-unavailable
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: flaky }, default: { grpc: { numRetries: 2, retryOn: [Unavailable] } } }
`),
    );
    const start = async (name: string): Promise<DataplaneHandle> => {
      const policies = pc.compile('default', name);
      return startDataplane({ xds: { mesh: 'default', name, version: policies.version.versionInfo, resources: xdsResourcesOf(policies) }, admin: false });
    };
    backend = await start('backend');
    web = await start('web');
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await backend?.stop({ drainMs: 100 });
    await web?.stop({ drainMs: 100 });
    app?.server.forceShutdown();
    flakyApp?.server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders grpc services as Kuma does: an HCM (codec AUTO) and clusters speaking HTTP/2', () => {
    const set = xdsResourcesOf(pc.compile('default', 'web'));
    const cluster = set.clusters.find((c) => c['name'] === 'flaky') as EnvoyMessage;
    const options = (cluster['typed_extension_protocol_options'] as Record<string, EnvoyMessage>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']!;
    expect(options['explicit_http_config']).toEqual({ http2_protocol_options: {} });
    const listener = set.listeners.find((l) => l['name'] === `outbound:127.0.0.1:${port['outFlaky']}`) as EnvoyMessage;
    const hcm = ((listener['filter_chains'] as EnvoyMessage[])[0]!['filters'] as EnvoyMessage[])[0]!;
    expect(hcm['name']).toBe('envoy.filters.network.http_connection_manager');
    const route = ((hcm['typed_config'] as EnvoyMessage)['route_config'] as { virtual_hosts: Array<{ routes: Array<{ route: EnvoyMessage }> }> }).virtual_hosts[0]!.routes[0]!.route;
    expect(route['retry_policy']).toEqual({ retry_on: 'unavailable', num_retries: 2 });
  });

  it('unary: every call is a flow on both dataplanes with its method, grpc-status and HTTP/2', async () => {
    const c = use(port['outEcho']!);
    const r = await unary(c, 'unary', Buffer.from('hi'));
    expect(r).toEqual({ ok: Buffer.from('echo:hi') });
    for (const dp of [web, backend]) {
      const [f] = flows(dp, (x) => x.http?.grpc?.method === 'Unary');
      expect(f).toMatchObject({ protocol: 'http', verdict: 'forwarded', http: { method: 'POST', path: '/test.Echo/Unary', status: 200, version: 'HTTP/2', attempts: 1, grpc: { service: 'test.Echo', method: 'Unary', status: 0 } } });
      expect(f!.timings.firstByteMs).toBeGreaterThan(0);
    }
    expect(flows(backend, (x) => x.http?.grpc?.method === 'Unary')[0]!.listener).toBe(inboundOf('echo'));
  });

  it('server streaming, bidirectional streaming and 4 MiB messages pass whole', async () => {
    const c = use(port['outEcho']!);
    const items = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const call = c['list']!(Buffer.from('100')) as grpc.ClientReadableStream<Buffer>;
      call.on('data', (m: Buffer) => got.push(m.toString()));
      call.on('end', () => resolve(got));
      call.on('error', reject);
    });
    expect(items).toHaveLength(100);
    expect(items[99]).toBe('item 99');

    const replies = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const call = c['chat']!() as grpc.ClientDuplexStream<Buffer, Buffer>;
      call.on('data', (m: Buffer) => {
        got.push(m.toString());
        if (got.length < 50) call.write(Buffer.from(`m${got.length}`));
        else call.end();
      });
      call.on('end', () => resolve(got));
      call.on('error', reject);
      call.write(Buffer.from('m0'));
    });
    expect(replies).toHaveLength(50);
    expect(replies[49]).toBe('re:m49');

    const big = await unary(c, 'unary', Buffer.alloc(BIG, 1));
    expect('ok' in big && big.ok.length).toBe(BIG);
    const f = flows(backend, (x) => x.http?.grpc?.method === 'Unary' && x.http.requestBytes > BIG)[0]!;
    expect(f.http!.responseBytes).toBeGreaterThan(BIG);
    expect(flows(backend, (x) => x.http?.grpc?.method === 'Chat')[0]).toMatchObject({ http: { grpc: { status: 0 } } });
  });

  it("a client's deadline ends the call with DEADLINE_EXCEEDED; a cancelled stream is cancelled at the server", async () => {
    const c = use(port['outEcho']!);
    const r = await unary(c, 'slow', Buffer.from('x'), 150);
    expect('err' in r && r.err.code).toBe(grpc.status.DEADLINE_EXCEEDED);

    const before = app.cancelled;
    const code = await new Promise<number>((resolve) => {
      const call = c['list']!(Buffer.from('0')) as grpc.ClientReadableStream<Buffer>;
      call.once('data', () => call.cancel());
      call.on('error', (e: grpc.ServiceError) => resolve(e.code));
    });
    expect(code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => app.cancelled).toBe(before + 1);
    await expect.poll(() => flows(backend, (x) => x.http?.grpc?.method === 'List' && x.reason === 'downstream_remote_reset').length).toBe(1);
  });

  it('flow control holds both ways: a client that stops reading stops the server, with little buffered between', async () => {
    const c = use(port['outEcho']!);
    const call = c['flood']!(Buffer.from('go')) as grpc.ClientReadableStream<Buffer>;
    call.on('error', () => {});
    await new Promise((resolve) => call.once('data', resolve));
    call.pause();
    // The server writes until backpressure stops it; wait until it has been stopped for a while.
    let last = -1;
    while (app.flooded !== last) {
      last = app.flooded;
      await new Promise((r) => setTimeout(r, 300));
    }
    // Two dataplanes between them, each bounded by its HTTP/2 windows (1 MiB per stream) and stream buffers.
    expect(app.flooded).toBeLessThan(8 * 1024 * 1024);
    call.cancel();
  });

  it('MeshFaultInjection abort 503 gives the client UNAVAILABLE (a trailers-only answer), credited on the flow and in the access log', async () => {
    const r = await unary(use(port['abort']!), 'unary', Buffer.from('x'));
    expect('err' in r && r.err.code).toBe(grpc.status.UNAVAILABLE);
    expect('err' in r && r.err.details).toBe('fault filter abort');
    expect(flows(backend, (x) => x.listener === inboundOf('abort'))[0]).toMatchObject({
      verdict: 'faulted',
      http: { status: 200, grpc: { method: 'Unary', status: 14 } },
      policies: [
        { type: 'MeshFaultInjection', name: 'fi-unavailable', action: 'abort 503' },
        { type: 'MeshAccessLog', name: 'al', action: `log ${LOG}` },
      ],
    });
    // Kuma's %GRPC_STATUS% prints the name, as Envoy does.
    await expect.poll(() => readFileSync(LOG, 'utf8')).toBe('/test.Echo/Unary HTTP/2 200 UNAVAILABLE 14\n');
  });

  it("an abort with a grpc status (Envoy's abort.grpc_status) answers with it", async () => {
    const r = await unary(use(port['exhausted']!), 'unary', Buffer.from('x'));
    expect('err' in r && r.err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(flows(backend, (x) => x.listener === inboundOf('exhausted'))[0]).toMatchObject({
      verdict: 'faulted',
      http: { grpc: { status: 8 } },
      policies: [{ type: 'MeshFaultInjection', name: 'fi-exhausted', action: 'abort grpc-status 8' }],
    });
  });

  it('MeshRateLimit counts calls, not connections: the third call on one channel is UNAVAILABLE (429)', async () => {
    const c = use(port['limited']!);
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const r = await unary(c, 'unary', Buffer.from('x'));
      codes.push('ok' in r ? 0 : r.err.code);
    }
    expect(codes).toEqual([0, 0, grpc.status.UNAVAILABLE]);
    expect(flows(backend, (x) => x.listener === inboundOf('limited'))[0]).toMatchObject({ verdict: 'denied', reason: 'local_rate_limited', http: { grpc: { status: 14 } } });
  });

  it('MeshTrafficPermission deny gives PERMISSION_DENIED', async () => {
    const r = await unary(use(port['secret']!), 'unary', Buffer.from('x'));
    expect('err' in r && r.err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(flows(backend, (x) => x.listener === inboundOf('secret'))[0]).toMatchObject({ verdict: 'denied', http: { grpc: { status: 7 } } });
  });

  it('MeshTimeout gives DEADLINE_EXCEEDED after the request timeout, not before', async () => {
    const t = performance.now();
    const r = await unary(use(port['slow']!), 'slow', Buffer.from('x'));
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect('err' in r && r.err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(flows(backend, (x) => x.listener === inboundOf('slow'))[0]).toMatchObject({
      verdict: 'error',
      reason: 'upstream_request_timeout',
      http: { grpc: { status: 4 } },
      policies: [{ type: 'MeshTimeout', name: 'slow-timeout', action: 'request timeout 0.300s: 504' }],
    });
  });

  it("MeshRetry on unavailable turns the backend's first-attempt UNAVAILABLE into success", async () => {
    const r = await unary(use(port['outFlaky']!), 'flaky', Buffer.from('k1'));
    expect(r).toEqual({ ok: Buffer.from('ok after 2') });
    expect(flakyApp.flakyHits.get('k1')).toBe(2);
    expect(flows(web, (x) => x.http?.grpc?.method === 'Flaky')[0]).toMatchObject({
      verdict: 'forwarded',
      http: { attempts: 2, grpc: { status: 0 } },
      policies: [{ type: 'MeshRetry', name: 'retry-unavailable', action: 'retry 1/2 after grpc-status 14' }],
    });
  });

  it('HTTP/1.1 on a gRPC listener is not translated: the HTTP/2 upstream closes on it, the client gets 503', async () => {
    const r = await fetch(`http://127.0.0.1:${port['echo']}/test.Echo/Unary`, { method: 'POST', body: 'x' });
    expect(r.status).toBe(503);
    expect(flows(backend, (x) => x.listener === inboundOf('echo') && x.http?.version === undefined)[0]).toMatchObject({ verdict: 'error', reason: 'upstream_reset_before_response' });
  });

  it('1,000 concurrent calls on one connection all complete', async () => {
    const c = use(port['echo']!);
    const before = stat(backend, `http.localhost_${app.port}.downstream_cx_http2_total`);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => unary(c, 'unary', Buffer.from(String(i)))));
    expect(results.filter((r) => 'ok' in r)).toHaveLength(1000);
    expect(stat(backend, `http.localhost_${app.port}.downstream_cx_http2_total`)).toBe(before + 1);
    const calls = flows(backend, (x) => x.listener === inboundOf('echo') && x.http?.grpc?.method === 'Unary' && x.http.requestBytes < 10);
    expect(new Set(calls.slice(0, 1000).map((f) => f.connectionId)).size).toBe(1);
  });

  it('a header block over SETTINGS_MAX_HEADER_LIST_SIZE (60 KiB) never becomes a request; the connection stays usable', async () => {
    const prefix = `http.localhost_${app.port}`;
    const session = http2.connect(`http://127.0.0.1:${port['echo']}`);
    session.on('error', () => {});
    await new Promise((r) => session.once('remoteSettings', r));
    const send = (headerBytes: number): Promise<string> =>
      new Promise((resolve) => {
        const req = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers', 'x-big': 'a'.repeat(headerBytes) });
        req.on('response', (h) => resolve(`response ${h[':status']}`));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        req.resume();
        req.end();
      });
    const before = stat(backend, `${prefix}.downstream_rq_total`);
    expect(await send(40 * 1024)).toBe('response 200');
    expect(stat(backend, `${prefix}.downstream_rq_total`)).toBe(before + 1);
    expect(await send(62 * 1024)).toBe('error ERR_HTTP2_STREAM_ERROR');
    expect(stat(backend, `${prefix}.downstream_rq_total`)).toBe(before + 1);
    expect(await send(10)).toBe('response 200');
    session.destroy();
  });

  it('a client resetting streams in a loop (rapid reset) gets GOAWAY; streams, flows and upstream work stay bounded', async () => {
    const prefix = `http.localhost_${app.port}`;
    const flowsBefore = stat(backend, 'meshcap.flows.published');
    const session = http2.connect(`http://127.0.0.1:${port['echo']}`);
    session.on('error', () => {});
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
    await new Promise((r) => session.once('connect', r));
    let opened = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    // 10,000 requests, each reset at once (HEADERS + RST_STREAM), as fast as the socket takes them.
    for (let i = 0; i < 10_000 && !session.closed && !session.destroyed; i++) {
      let req: http2.ClientHttp2Stream;
      try {
        req = session.request({ ':method': 'POST', ':path': '/test.Echo/Slow', 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
      } catch {
        break;
      }
      req.on('error', () => {});
      req.close(http2.constants.NGHTTP2_CANCEL);
      opened++;
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    expect(await goaway).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
    expect(stat(backend, `${prefix}.downstream_rq_too_many_premature_resets`)).toBe(1);
    await expect.poll(() => stat(backend, `${prefix}.downstream_rq_active`)).toBe(0);
    // Drained at the first check past half of Envoy's 500: what reached the dp is bounded by that, not by the loop.
    const resets = stat(backend, `${prefix}.downstream_rq_rx_reset`);
    expect(resets).toBeGreaterThanOrEqual(250);
    expect(resets).toBeLessThan(1_000);
    expect(stat(backend, 'meshcap.flows.published') - flowsBefore).toBeLessThan(1_500);
    expect(opened).toBeGreaterThan(250);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // The dataplane still serves others.
    expect(await unary(use(port['echo']!), 'unary', Buffer.from('after'))).toEqual({ ok: Buffer.from('echo:after') });
  });

  it('draining sends GOAWAY and lets the call in flight finish (last: it stops web)', async () => {
    const c = use(port['outEcho']!);
    expect(await unary(c, 'unary', Buffer.from('warm'))).toEqual({ ok: Buffer.from('echo:warm') });
    const slow = unary(c, 'slow', Buffer.from('x'));
    await expect.poll(() => stat(web, 'http.echo.downstream_rq_active')).toBe(1);
    const stopped = web.stop({ drainMs: 5_000 });
    expect(await slow).toEqual({ ok: Buffer.from('late') });
    await stopped;
    expect(stat(web, 'http.echo.downstream_cx_http2_active')).toBe(0);
  });
});
