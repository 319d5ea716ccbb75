import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { dataplaneYaml, resourcesYaml, type InboundFixture } from '../testing.ts';
import { curl, eventually, hostRun, startDp, startHttpApp, startTcpApp, tcpProbe, fixtures, type RunningDp } from './testing/lab.ts';

// "A life without transparent proxying": no capture rules anywhere. The server's dataplane listens
// on each inbound port and forwards to serviceAddress:servicePort; the client's has an outbound
// listener on 127.0.0.1:10001 for the backend service. Both run with no privileges at all.
const SERVER = '198.18.1.10';
const CLIENT = '198.18.1.1';

// Each inbound listens on 1xxxx and forwards to the app on the port without the leading 1.
const tcpInbound = (port: number, service: string): InboundFixture => ({ port, servicePort: port - 10_000, service });
const backendYaml = dataplaneYaml({
  mesh: 'default',
  name: 'backend',
  address: SERVER,
  inbound: [
    { port: 15000, servicePort: 5000, serviceAddress: '127.0.0.1', service: 'backend', protocol: 'http' },
    { port: 15003, servicePort: 5003, service: 'refused-http', protocol: 'http' },
    tcpInbound(16000, 'echo'),
    tcpInbound(16001, 'halfclose'),
    tcpInbound(16002, 'resetter'),
    tcpInbound(16003, 'refused-tcp'),
    tcpInbound(16004, 'silent'),
    tcpInbound(16005, 'counter'),
    tcpInbound(16009, 'blackhole'),
  ],
});

const webYaml = resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: CLIENT,
    outbound: [
      { port: 10001, service: 'backend' },
      { port: 10002, service: 'echo' },
    ],
  }),
  backendYaml,
);

describeNetns('dataplane, explicit mode (no capture rules, no privileges)', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let backend: RunningDp;
  let web: RunningDp;
  let app: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('dp-explicit');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    [app] = await Promise.all([
      startHttpApp(server, 5000, '127.0.0.1'),
      startTcpApp(server, 6000, 'echo', '127.0.0.1'),
      startTcpApp(server, 6001, 'halfclose', '127.0.0.1'),
      startTcpApp(server, 6002, 'rst', '127.0.0.1'),
      startTcpApp(server, 6004, 'silent', '127.0.0.1'),
      startTcpApp(server, 6005, 'count', '127.0.0.1'),
    ]);
    [backend, web] = await Promise.all([
      startDp(server, backendYaml, { as: 'nobody', args: ['--idle-timeout', '1500', '--connect-timeout', '1000'] }),
      startDp(client, webYaml, { as: 'nobody', name: 'web' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('runs without any privilege', () => {
    expect(backend.uid).toBe(65534);
    expect(web.uid).toBe(65534);
  });

  describe('HTTP/1.1', () => {
    it('forwards through the inbound listener to serviceAddress:servicePort and adds x-request-id', async () => {
      const body = JSON.parse(await curl(client, [`http://${SERVER}:15000/hello?x=1`]));
      expect(body).toMatchObject({ method: 'GET', path: '/hello?x=1', localPort: 5000, remoteAddress: '127.0.0.1' });
      expect(body.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const kept = JSON.parse(await curl(client, ['-H', 'x-request-id: mine-1', `http://${SERVER}:15000/`]));
      expect(kept.headers['x-request-id']).toBe('mine-1');
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.http?.requestId === 'mine-1'), 'the flow');
      expect(flow).toMatchObject({
        dataplane: 'backend',
        direction: 'inbound',
        listener: `inbound:${SERVER}:15000`,
        cluster: 'localhost:5000',
        capture: 'explicit',
        protocol: 'http',
        destination: { address: SERVER, port: 15000 },
        upstream: { address: '127.0.0.1', port: 5000 },
        verdict: 'forwarded',
        http: { method: 'GET', path: '/', authority: `${SERVER}:15000`, status: 200, attempts: 1 },
      });
      expect(flow.client.address).toBe(CLIENT);
      expect(flow.timings.totalMs).toBeGreaterThan(0);
      expect(flow.timings.firstByteMs).toBeGreaterThan(0);
    });

    it('goes out through an explicit outbound listener to the service endpoints, keeping connections alive', async () => {
      const before = app.lines.filter((l) => l.includes('"connection"')).length;
      // Three requests on one client connection: one upstream connection on each hop.
      const out = await curl(client, ['-w', '%{http_code}\n', '-o', '/dev/null', 'http://127.0.0.1:10001/a', '-o', '/dev/null', 'http://127.0.0.1:10001/b', '-o', '/dev/null', 'http://127.0.0.1:10001/c']);
      expect(out.trim().split('\n')).toEqual(['200', '200', '200']);
      // At most one new app connection: the backend dataplane reuses its idle upstream connection when it has one.
      expect(app.lines.filter((l) => l.includes('"connection"')).length - before).toBeLessThanOrEqual(1);
      const flows = await eventually(async () => {
        const f = (await web.flows()).filter((x) => x.listener === 'outbound:127.0.0.1:10001');
        return f.length >= 3 && f;
      }, 'three outbound flows');
      expect(flows[0]).toMatchObject({ direction: 'outbound', cluster: 'backend', capture: 'explicit', upstream: { address: SERVER, port: 15000 }, http: { status: 200 } });
      expect(new Set(flows.slice(0, 3).map((f) => f.connectionId)).size).toBe(1);
      // …and the web dataplane kept its one upstream connection to the backend for all three.
      const inbound = await eventually(async () => {
        const f = (await backend.flows()).filter((x) => ['/a', '/b', '/c'].includes(x.http?.path ?? ''));
        return f.length === 3 && f;
      }, 'three inbound flows');
      expect(new Set(inbound.map((f) => f.connectionId)).size).toBe(1);
    });

    it('streams 1 MiB+ bodies both ways, chunked and with Content-Length', async () => {
      const size = 3 * 1024 * 1024 + 7;
      const down = await curl(client, ['-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${SERVER}:15000/bytes?n=${size}`]);
      expect(down).toBe(`200 ${size}`);
      const script =
        `head -c ${size} /dev/urandom > /tmp/mc-up-$$; sum=$(sha256sum /tmp/mc-up-$$ | cut -d' ' -f1); ` +
        `curl -sS --max-time 15 --data-binary @/tmp/mc-up-$$ http://127.0.0.1:10001/count; echo; ` +
        `curl -sS --max-time 15 -H 'Transfer-Encoding: chunked' --data-binary @/tmp/mc-up-$$ http://${SERVER}:15000/count; echo; echo "$sum"; rm -f /tmp/mc-up-$$`;
      const up = await hostRun(client, 'sh', ['-ec', script], 30_000);
      const [viaOutbound, chunked, sum] = up.stdout.trim().split('\n');
      expect(JSON.parse(viaOutbound!)).toMatchObject({ received: size, sha256: sum });
      expect(JSON.parse(chunked!)).toMatchObject({ received: size, sha256: sum, headers: { 'transfer-encoding': 'chunked' } });
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.http?.path === `/bytes?n=${size}`), 'download flow');
      expect(flow.http!.responseBytes).toBeGreaterThanOrEqual(size);
    });

    it('passes a WebSocket upgrade through and relays frames both ways', async () => {
      const proc = client.spawnNode(fixtures.wsProbe, ['--host', '127.0.0.1', '--port', '10001', '--text', 'hello-ws']);
      const result = JSON.parse(await proc.waitForLine(/"result"/));
      expect(result).toMatchObject({ status: 101, acceptOk: true, echoed: 'hello-ws' });
      const flow = await eventually(async () => (await web.flows()).find((f) => f.http?.upgraded), 'upgrade flow');
      expect(flow).toMatchObject({ http: { status: 101, upgraded: true, path: '/ws' } });
      expect(flow.bytes.toClient).toBeGreaterThan(0);
    });

    it('rejects ambiguous framing with 400 and records it', async () => {
      const smuggle = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
      const result = await tcpProbe(client, SERVER, 15000, 'send', ['--send', smuggle]);
      expect(result.data).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(result.data).toContain('connection: close');
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.reason?.startsWith('bad_request')), 'the 400 flow');
      expect(flow).toMatchObject({ verdict: 'error', http: { status: 400 } });
      expect(flow.reason).toContain('both Content-Length and Transfer-Encoding');
    });

    it('answers 503 when the upstream refuses, with verdict error', async () => {
      const out = await curl(client, ['-w', '\n%{http_code}', `http://${SERVER}:15003/`]);
      expect(out).toMatch(/upstream connect error or disconnect\/reset before headers. reset reason: connection failure\n503$/);
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:15003`), 'refused flow');
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_connect_refused', http: { status: 503 }, upstream: { address: '127.0.0.1', port: 5003 } });
    });
  });

  describe('TCP', () => {
    it('relays bytes both ways and records the flow', async () => {
      const result = await tcpProbe(client, SERVER, 16000, 'send', ['--send', 'ping-tcp']);
      expect(result).toMatchObject({ data: 'ping-tcp', ended: true });
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16000`), 'tcp flow');
      expect(flow).toMatchObject({ protocol: 'tcp', cluster: 'localhost:6000', verdict: 'forwarded', close: 'fin', bytes: { fromClient: 8, toClient: 8 } });
      expect(flow.timings.connectMs).toBeGreaterThanOrEqual(0);
    });

    it('keeps half-close: the client FIN reaches the app, whose answer still comes back', async () => {
      const result = await tcpProbe(client, SERVER, 16001, 'halfclose', ['--send', 'hello']);
      expect(result).toMatchObject({ data: 'got:hello', ended: true });
    });

    it('passes an RST from the app on as an RST', async () => {
      const result = await tcpProbe(client, SERVER, 16002, 'rst', ['--send', 'x']);
      expect(result.error).toBe('ECONNRESET');
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16002`), 'rst flow');
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_reset', close: 'upstream_reset' });
    });

    it('resets the client when the upstream refuses', async () => {
      const result = await tcpProbe(client, SERVER, 16003, 'send', ['--send', 'x']);
      expect(result.error).toBe('ECONNRESET');
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16003`), 'refused flow');
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_connect_refused' });
    });

    it('gives up on an upstream that never answers after the connect timeout, with an RST', async () => {
      // SYNs to the app's port vanish: the connect can only time out.
      expect((await hostRun(server, 'iptables', ['-A', 'INPUT', '-i', 'lo', '-p', 'tcp', '--dport', '6009', '-j', 'DROP'])).code).toBe(0);
      const result = await tcpProbe(client, SERVER, 16009, 'send', ['--send', 'x']);
      expect(result.error).toBe('ECONNRESET');
      expect(result.elapsedMs).toBeGreaterThanOrEqual(1000);
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16009`), 'timeout flow');
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_connect_timeout' });
      expect(flow.timings.connectMs).toBeGreaterThanOrEqual(1000);
      expect((await backend.stats())['cluster.localhost_6009.upstream_cx_connect_timeout']).toBe(1);
    });

    it('closes an idle connection after the idle timeout', async () => {
      const result = await tcpProbe(client, SERVER, 16004, 'idle', ['--send', 'x', '--timeout', '15000']);
      expect(result.closed || result.error).toBeTruthy();
      expect(result.elapsedMs).toBeGreaterThanOrEqual(1500);
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16004`), 'idle flow');
      expect(flow).toMatchObject({ close: 'idle_timeout', verdict: 'error', reason: 'idle_timeout' });
    });

    it('moves megabytes with backpressure and counts them', async () => {
      const size = 8 * 1024 * 1024;
      const result = await tcpProbe(client, SERVER, 16005, 'bulk', ['--bytes', String(size)]);
      expect(result.data).toBe(`count:${size}`);
      const flow = await eventually(async () => (await backend.flows()).find((f) => f.listener === `inbound:${SERVER}:16005`), 'bulk flow');
      expect(flow.bytes.fromClient).toBe(size);
    });
  });

  describe('admin', () => {
    it('counts what the traffic did, in Envoy names', async () => {
      const before = await backend.stats();
      const n = 5;
      await curl(client, Array.from({ length: n }, () => ['-o', '/dev/null', `http://${SERVER}:15000/status/204`]).flat());
      await curl(client, ['-o', '/dev/null', `http://${SERVER}:15000/status/404`]);
      const after = await backend.stats();
      const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
      expect(delta('http.localhost_5000.downstream_rq_2xx')).toBe(n);
      expect(delta('http.localhost_5000.downstream_rq_4xx')).toBe(1);
      expect(delta('http.localhost_5000.downstream_rq_total')).toBe(n + 1);
      expect(delta('cluster.localhost_5000.upstream_rq_total')).toBe(n + 1);
      expect(delta('http.localhost_5000.downstream_cx_total')).toBe(2);
      expect(delta(`listener.inbound_${SERVER}_15000.downstream_cx_total`)).toBe(2);
      expect(after['server.live']).toBe(1);

      const prom = await backend.admin('/stats/prometheus');
      expect(prom).toContain('# TYPE envoy_http_downstream_rq_xx counter');
      expect(prom).toMatch(new RegExp(`envoy_http_downstream_rq_xx\\{envoy_response_code_class="2",envoy_http_conn_manager_prefix="localhost_5000"\\} ${after['http.localhost_5000.downstream_rq_2xx']}`));
      expect(prom).toMatch(/envoy_cluster_upstream_cx_total\{envoy_cluster_name="localhost_6000"\} \d+/);
    });

    it('serves /ready, /listeners, /clusters, /flows and a /config_dump hook', async () => {
      expect(await backend.admin('/ready')).toBe('LIVE\n');
      expect(await backend.admin('/listeners')).toContain(`inbound:${SERVER}:15000::${SERVER}:15000\n`);
      const listeners = await backend.adminJson<{ listener_statuses: Array<{ name: string; bind_to_port: boolean }> }>('/listeners?format=json');
      expect(listeners.listener_statuses.map((l) => l.name)).toContain(`inbound:${SERVER}:16000`);
      expect(await backend.admin('/clusters')).toContain('localhost:5000::127.0.0.1:5000::health_flags::healthy');
      const flows = await backend.adminJson<{ flows: unknown[]; buffer: { published: number; evicted: number } }>('/flows?limit=2');
      expect(flows.flows).toHaveLength(2);
      expect(flows.buffer.published).toBeGreaterThan(2);
      expect(flows.buffer.evicted).toBe(0);
      expect(await backend.admin('/flows?limit=x')).toContain('limit: must be a non-negative integer');
      expect(await backend.admin('/config_dump')).toContain('no config dump provider');
    });
  });

  describe('SIGTERM', () => {
    it('drains: stops accepting, lets the request in flight finish, exits 0', async () => {
      const inflight = curl(client, ['-i', '-w', '\n%{http_code}', `http://${SERVER}:15000/slow?ms=1200`]);
      await eventually(async () => (await backend.stats())['http.localhost_5000.downstream_rq_active'] === 1, 'the request in flight');
      backend.proc.child.kill('SIGTERM');
      await eventually(async () => (await hostRun(server, 'curl', ['-s', '--max-time', '1', 'http://127.0.0.1:9901/ready'])).stdout !== 'LIVE\n', 'draining');
      const refused = await tcpProbe(client, SERVER, 16000, 'connect');
      expect(refused.error).toBe('ECONNREFUSED');
      const answer = await inflight;
      expect(answer.endsWith('\n200')).toBe(true);
      // The response that finished during the drain told the client the connection ends.
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(await backend.proc.exited).toMatchObject({ code: 0 });
    });
  });
});
