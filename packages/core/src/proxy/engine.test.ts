import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@meshcap/testkit';
import { MeshcapError } from '../errors.ts';
import type { FlowRecord } from '../flows/index.ts';
import { dataplaneSchema, type Dataplane } from '../model/index.ts';
import type { HttpPass, PolicyPasses, TcpPass } from './chain.ts';
import type { ListenerConfig } from './config.ts';
import { startDataplane, type DataplaneHandle } from './engine.ts';

// The engine in this process, in explicit mode on loopback (no namespace needed): the filter chain
// contract the policy engine plugs into, keep-alive details, and config updates.

function dataplane(inbound: Array<{ port: number; servicePort: number; protocol: 'http' | 'tcp'; service: string }>): Dataplane {
  return dataplaneSchema.parse({
    type: 'Dataplane',
    name: 'unit',
    networking: {
      address: '127.0.0.1',
      inbound: inbound.map((i) => ({ port: i.port, servicePort: i.servicePort, tags: { 'kuma.io/service': i.service, 'kuma.io/protocol': i.protocol } })),
    },
  });
}

/** Raw HTTP over one connection: writes `text`, collects everything until the server closes (or the timeout). */
function raw(port: number, text: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let data = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(data);
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('end', done);
    s.on('error', reject);
  });
}

const policy = { type: 'MeshTest', name: 'unit' };
const completed: Array<number | undefined> = [];

/** Test passes driven by an `x-test` header, given out of order on purpose: the chain orders them. */
const passes: PolicyPasses = {
  forListener(l: ListenerConfig) {
    const actions = (h: string | undefined): string[] => (h ?? '').split(',');
    const http: HttpPass[] = [
      {
        slot: 'access-log',
        name: 'log',
        onComplete: (ctx) => {
          completed.push(ctx.http.status);
          if (actions(ctx.request.get('x-test')).includes('log-fails')) throw new Error('log sink broke');
        },
      },
      {
        slot: 'retry',
        name: 'retry',
        onRequest(ctx) {
          if (actions(ctx.request.get('x-test')).includes('retry')) ctx.route.retry = { policy, numRetries: 2, on: ['5xx'], backoffMs: 10 };
        },
      },
      {
        slot: 'timeout',
        name: 'timeout',
        onRequest(ctx) {
          if (actions(ctx.request.get('x-test')).includes('timeout')) ctx.route.requestTimeoutMs = 150;
        },
      },
      {
        slot: 'fault-injection',
        name: 'fault',
        async onRequest(ctx) {
          const a = actions(ctx.request.get('x-test'));
          if (a.includes('delay')) {
            await new Promise((r) => setTimeout(r, 200));
            ctx.record(policy, 'delay 200ms');
          }
          if (a.includes('abort')) ctx.respond({ status: 418, body: 'aborted\n', verdict: 'faulted', reason: 'fault_abort', policy });
          if (a.includes('throttle')) ctx.route.responseBytesPerSecond = 100_000;
        },
        onResponse(ctx) {
          if (actions(ctx.request.get('x-test')).includes('tag')) ctx.response!.append('x-tagged', 'yes');
        },
      },
      {
        slot: 'traffic-permission',
        name: 'permission',
        onRequest(ctx) {
          if (actions(ctx.request.get('x-test')).includes('deny')) ctx.respond({ status: 403, body: 'RBAC: access denied', verdict: 'denied', reason: 'rbac_access_denied', policy });
        },
      },
    ];
    const tcp: TcpPass[] = [
      {
        slot: 'traffic-permission',
        name: 'tcp-permission',
        onConnect(ctx) {
          if (l.service === 'forbidden') ctx.deny(policy, 'rbac_access_denied');
          else ctx.record(policy, 'allow');
        },
      },
    ];
    return { http, tcp };
  },
};

describe('engine in process (explicit mode on loopback)', () => {
  let dp: DataplaneHandle;
  let app: http.Server;
  let appPort: number;
  let httpPort: number;
  let forbiddenPort: number;
  let flaky = 0;

  const flow = (pred: (f: FlowRecord) => boolean): FlowRecord | undefined => dp.flows.recent().find(pred);
  const get = async (path: string, test?: string): Promise<{ status: number; body: string; headers: Headers; ms: number }> => {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: test ? { 'x-test': test } : {} });
    return { status: res.status, body: await res.text(), headers: res.headers, ms: performance.now() - t };
  };

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      if (req.url === '/flaky') {
        flaky++;
        res.writeHead(flaky % 3 === 0 ? 200 : 503, { 'content-length': 2 }).end('ok');
        return;
      }
      if (req.url === '/slow') return void setTimeout(() => res.end('slow'), 1000);
      if (req.url === '/close') return void res.writeHead(200, { connection: 'close', 'content-length': 1 }).end('c');
      if (req.url === '/big') return void res.end(Buffer.alloc(100_000, 'z'));
      const body = JSON.stringify({ path: req.url, rid: req.headers['x-request-id'] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appPort = (app.address() as AddressInfo).port;
    httpPort = await freePort();
    forbiddenPort = await freePort();
    dp = await startDataplane({
      dataplane: dataplane([
        { port: httpPort, servicePort: appPort, protocol: 'http', service: 'app' },
        { port: forbiddenPort, servicePort: appPort, protocol: 'tcp', service: 'forbidden' },
      ]),
      policies: passes,
      admin: { port: 0 },
    });
  });

  afterAll(async () => {
    await dp?.stop({ drainMs: 100 });
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
  });

  it('lists the passes of a listener in the fixed slot order', () => {
    // The given order was access-log, retry, timeout, fault, permission; the chain runs request-id first.
    expect(dp.config().listeners[0]!.name).toBe(`inbound:127.0.0.1:${httpPort}`);
    const before = completed.length;
    return get('/', 'deny,delay').then((r) => {
      // Permission runs before the fault pass: denied without the 200 ms delay.
      expect(r.status).toBe(403);
      expect(r.body).toBe('RBAC: access denied');
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const f = flow((x) => x.http?.status === 403)!;
      expect(f).toMatchObject({ verdict: 'denied', reason: 'rbac_access_denied', policies: [{ type: 'MeshTest', name: 'unit', action: 'respond 403' }] });
      expect(completed.slice(before)).toEqual([403]);
    });
  });

  it('awaits an asynchronous pass (a delay) and records what it did', async () => {
    const r = await get('/d', 'delay');
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(195);
    expect(flow((x) => x.http?.path === '/d')).toMatchObject({ verdict: 'forwarded', policies: [{ action: 'delay 200ms' }] });
  });

  it('counts a completion hook that throws, and still answers and publishes the flow', async () => {
    const r = await get('/log-fails', 'log-fails');
    expect(r.status).toBe(200);
    expect(flow((x) => x.http?.path === '/log-fails')).toMatchObject({ verdict: 'forwarded' });
    const stats = Object.fromEntries(dp.stats().map((s) => [s.name, s.value]));
    expect(stats[`listener.inbound_127.0.0.1_${httpPort}.pass_completion_errors`]).toBe(1);
  });

  it('answers locally for a fault abort with verdict faulted', async () => {
    const r = await get('/a', 'abort');
    expect(r.status).toBe(418);
    expect(flow((x) => x.http?.path === '/a')).toMatchObject({ verdict: 'faulted', reason: 'fault_abort' });
  });

  it('retries a 5xx into a 200 and records each attempt', async () => {
    flaky = 0;
    const r = await get('/flaky', 'retry');
    expect(r.status).toBe(200);
    const f = flow((x) => x.http?.path === '/flaky')!;
    expect(f.http).toMatchObject({ status: 200, attempts: 3 });
    expect(f.policies.map((p) => p.action)).toEqual(['retry 1/2 after 503', 'retry 2/2 after 503']);
    const stats = Object.fromEntries(dp.stats().map((s) => [s.name, s.value]));
    expect(stats[`cluster.localhost_${appPort}.upstream_rq_retry`]).toBe(2);
  });

  it('times a slow request out with 504', async () => {
    const r = await get('/slow', 'timeout');
    expect(r.status).toBe(504);
    expect(r.ms).toBeGreaterThanOrEqual(145);
    expect(flow((x) => x.http?.path === '/slow')).toMatchObject({ verdict: 'error', reason: 'upstream_request_timeout', http: { status: 504 } });
  });

  it('lets a response pass change response headers, and throttles the response body', async () => {
    const tagged = await get('/t', 'tag');
    expect(tagged.headers.get('x-tagged')).toBe('yes');
    const slow = await get('/big', 'throttle');
    expect(slow.body.length).toBe(100_000);
    // 100 000 bytes at 100 000 B/s: about a second (the first chunk goes at once).
    expect(slow.ms).toBeGreaterThanOrEqual(400);
  });

  it('closes a connection a TCP pass denies, with the flow saying so', async () => {
    const result = await new Promise<string>((resolve) => {
      const s = net.connect(forbiddenPort, '127.0.0.1');
      s.on('close', () => resolve('closed'));
      s.on('error', () => {});
    });
    expect(result).toBe('closed');
    expect(flow((x) => x.listener === `inbound:127.0.0.1:${forbiddenPort}`)).toMatchObject({ verdict: 'denied', reason: 'rbac_access_denied', policies: [{ action: 'deny' }] });
  });

  it('answers pipelined requests in order on one connection', async () => {
    const text = `GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;
    const out = await raw(httpPort, text);
    const paths = [...out.matchAll(/"path":"(\/p\d)"/g)].map((m) => m[1]);
    expect(paths).toEqual(['/p1', '/p2', '/p3']);
  });

  it('keeps the client connection after a local reply, which says connection: close only when it closes', async () => {
    const out = await raw(httpPort, 'GET /l1 HTTP/1.1\r\nHost: a\r\nx-test: deny\r\n\r\nGET /l2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /l3 HTTP/1.1\r\nHost: a\r\nx-test: deny\r\ncontent-length: 5\r\n\r\n', 3_000);
    const replies = out.split(/(?=HTTP\/1\.1 )/);
    expect(replies.map((r) => r.split(' ')[1])).toEqual(['403', '200', '403']);
    expect(replies[0]).not.toMatch(/connection: close/i);
    expect(replies[1]).toContain('"path":"/l2"');
    // A body that was never read cannot be skipped safely: this reply ends the connection, and says so.
    expect(replies[2]).toMatch(/connection: close/i);
  });

  it('answers thousands of pipelined local replies on one connection without growing the stack', async () => {
    const n = 5_000;
    const denied = 'GET /flood HTTP/1.1\r\nHost: a\r\nx-test: deny\r\n\r\n';
    const out = await raw(httpPort, `${denied.repeat(n)}GET /flood HTTP/1.1\r\nHost: a\r\nx-test: deny\r\nconnection: close\r\n\r\n`, 20_000);
    expect(out.match(/HTTP\/1\.1 403 /g)).toHaveLength(n + 1);
  });

  it('stops reading pipelined requests while the client does not read the local replies', async () => {
    const published = () => dp.flows.stats().published;
    const before = published();
    const n = 100_000;
    const s = net.connect(httpPort, '127.0.0.1');
    s.pause(); // never read: the replies pile up in the kernel, then in the proxy, which must stop there
    s.on('error', () => {});
    s.write('GET /bp HTTP/1.1\r\nHost: a\r\nx-test: deny\r\n\r\n'.repeat(n));
    let last = -1;
    for (let i = 0; i < 100 && published() !== last; i++) {
      last = published();
      await new Promise((r) => setTimeout(r, 300));
    }
    // The kernel buffers a few MB of ~150-byte replies; without backpressure all n would be answered.
    const answered = published() - before;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(n * 0.75);
    // Reading again lets the proxy go on.
    s.resume();
    for (let i = 0; i < 100 && published() - before <= answered; i++) await new Promise((r) => setTimeout(r, 100));
    expect(published() - before).toBeGreaterThan(answered);
    s.destroy();
  });

  it('closes the client connection after an upstream Connection: close, and after HTTP/1.0', async () => {
    const a = await raw(httpPort, 'GET /close HTTP/1.1\r\nHost: a\r\n\r\n', 3_000);
    expect(a).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nc$/);
    const b = await raw(httpPort, 'GET /ten HTTP/1.0\r\n\r\n', 3_000);
    expect(b).toMatch(/"path":"\/ten"/);
  });

  it('applies a new config version: opens new listeners, closes removed ones, keeps the last good one on error', async () => {
    const newPort = await freePort();
    const next = dataplane([
      { port: httpPort, servicePort: appPort, protocol: 'http', service: 'app' },
      { port: newPort, servicePort: appPort, protocol: 'http', service: 'app2' },
    ]);
    await dp.updateConfig('v2', next, passes);
    expect(dp.version).toBe('v2');
    const res = await fetch(`http://127.0.0.1:${newPort}/new`);
    expect(res.status).toBe(200);
    // The forbidden listener is gone.
    const refused = await new Promise<string>((resolve) => net.connect(forbiddenPort, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).on('connect', () => resolve('connected')));
    expect(refused).toBe('ECONNREFUSED');
    // Two inbounds on one port: rejected with the field named, v2 stays.
    const bad = dataplane([
      { port: httpPort, servicePort: appPort, protocol: 'http', service: 'app' },
      { port: httpPort, servicePort: appPort, protocol: 'http', service: 'app3' },
    ]);
    await expect(dp.updateConfig('v3', bad)).rejects.toMatchObject({ code: 'MESHCAP_ERR_INVALID_RESOURCE', issues: [{ path: 'networking.inbound[1].port' }] });
    expect(dp.version).toBe('v2');
    expect((await fetch(`http://127.0.0.1:${newPort}/still`)).status).toBe(200);
  });

  it('serves the admin endpoints on an ephemeral port when asked', async () => {
    const res = await fetch(`http://127.0.0.1:${dp.admin!.port}/ready`);
    expect(await res.text()).toBe('LIVE\n');
    dp.setConfigDump((q) => ({ configs: [], asked: q.get('resource') }));
    const dump = await (await fetch(`http://127.0.0.1:${dp.admin!.port}/config_dump?resource=dynamic_listeners`)).json();
    expect(dump).toEqual({ configs: [], asked: 'dynamic_listeners' });

    // A bad query is the caller's error: the provider's coded status, not a 500.
    dp.setConfigDump(() => {
      throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', 'resource nope not found in config dump');
    });
    const bad = await fetch(`http://127.0.0.1:${dp.admin!.port}/config_dump?resource=nope`);
    expect(bad.status).toBe(404);
    expect(await bad.text()).toContain('resource nope not found');
  });
});

describe('a pooled upstream connection reset before the response', () => {
  let dp: DataplaneHandle;
  let upstream: net.Server;
  let proxyPort: number;
  const seen: string[] = [];

  beforeAll(async () => {
    // Answers the first request of each connection (keep-alive) and resets on the second, as an
    // upstream does that closed an idle connection the proxy still had in its pool.
    upstream = net.createServer((socket) => {
      let served = 0;
      socket.on('data', (d) => {
        seen.push(d.toString('latin1').split(' ')[0]!);
        if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        else socket.resetAndDestroy();
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    proxyPort = await freePort();
    const appPort = (upstream.address() as AddressInfo).port;
    dp = await startDataplane({ dataplane: dataplane([{ port: proxyPort, servicePort: appPort, protocol: 'http', service: 'reset' }]), admin: false });
  });

  afterAll(async () => {
    await dp?.stop({ drainMs: 100 });
    await new Promise((r) => upstream?.close(r));
  });

  const twice = (second: string) =>
    raw(proxyPort, `GET /a HTTP/1.1\r\nhost: x\r\n\r\n${second} /b HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);

  it('silently repeats an idempotent request on a fresh connection', async () => {
    seen.length = 0;
    const reply = await twice('GET');
    expect(reply.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(seen).toEqual(['GET', 'GET', 'GET']);
  });

  it('never repeats a POST the upstream may have received: 503, sent once', async () => {
    seen.length = 0;
    const reply = await twice('POST');
    expect(reply).toMatch(/^HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 503/);
    expect(seen).toEqual(['GET', 'POST']);
  });
});

describe('a config update on an open keep-alive connection', () => {
  let dp: DataplaneHandle;
  let app: http.Server;
  let proxyPort: number;
  let config: Dataplane;

  const teapot: PolicyPasses = {
    forListener: () => ({
      http: [{ slot: 'fault-injection', name: 'teapot', onRequest: (ctx) => ctx.respond({ status: 418, body: 'short and stout', verdict: 'faulted', reason: 'fault_abort' }) }],
    }),
  };
  const none: PolicyPasses = { forListener: () => ({}) };

  beforeAll(async () => {
    app = http.createServer((_req, res) => res.end('from the app'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    proxyPort = await freePort();
    config = dataplane([{ port: proxyPort, servicePort: (app.address() as AddressInfo).port, protocol: 'http', service: 'ka' }]);
    dp = await startDataplane({ dataplane: config, admin: false, policies: teapot });
  });

  afterAll(async () => {
    await dp?.stop({ drainMs: 100 });
    await new Promise((r) => app?.close(r));
  });

  it('applies the new chain from the next request on that same connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ status: number | undefined; body: string; localPort: number | undefined }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: proxyPort, path: '/', agent }, (res) => {
            let body = '';
            const localPort = res.socket.localPort;
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode, body, localPort }));
          })
          .on('error', reject);
      });
    try {
      const before = await get();
      expect(before).toMatchObject({ status: 418, body: 'short and stout' });
      await dp.updateConfig('v2', config, none);
      const after = await get();
      expect(after).toMatchObject({ status: 200, body: 'from the app' });
      expect(after.localPort).toBe(before.localPort);
    } finally {
      agent.destroy();
    }
  });
});
