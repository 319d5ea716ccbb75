import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import type { FlowRecord } from '../../flows/index.ts';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { curl, eventually, startTcpApp, tcpProbe } from '../testing/lab.ts';
import { dataplaneYaml, resourcesYaml, type InboundFixture } from '../../testing.ts';

// Mesh policies enforced by real dataplanes on real traffic. Explicit mode (no capture rules; the
// capture path is the proxy tests' subject): the server namespace runs two dataplanes of service
// `backend` (backend-1 with every test service, backend-2 for the per-dataplane toggle), the client
// namespace runs `web`, whose outbound listener reaches the flaky service. The test process holds
// the PolicyCompiler, as the control plane would, and hands each dataplane its compiled
// DataplanePolicies through a file + SIGUSR1 (the fixture then calls updateConfig).

const WEB = '198.18.3.1';
const STRANGER = '198.18.3.2'; // on the client host, owned by no dataplane
const B1 = '198.18.3.10';
const B2 = '198.18.3.11';
const B3 = '198.18.3.12'; // on the server host, with no dataplane: web's requests reach the app there directly
const NOWHERE = '198.18.3.99'; // on-link, nobody answers: connects hang

const here = (name: string): string => fileURLToPath(new URL(`./testing/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meshcap-policy-test-'));
chmodSync(dir, 0o755);
const ACCESS_HTTP = join(dir, 'access-http.log');
const ACCESS_TCP = join(dir, 'access-tcp.log');
const ACCESS_JSON = join(dir, 'access-json.log');

/** An inbound forwarding to an app on this host (`serviceAddress`), HTTP unless told `tcp`. */
const inbound = (port: number, service: string, servicePort: number, protocol: 'http' | 'tcp' = 'http', serviceAddress = '127.0.0.1'): InboundFixture => ({
  port,
  servicePort,
  serviceAddress,
  service,
  ...(protocol === 'http' && { protocol }),
});

const RESOURCES = `
${resourcesYaml(
  dataplaneYaml({
    mesh: 'default',
    name: 'backend-1',
    address: B1,
    inbound: [
      inbound(15000, 'backend', 5000),
      inbound(15101, 'abort', 5000),
      inbound(15102, 'delay', 5000),
      inbound(15103, 'zero', 5000),
      inbound(15104, 'half', 5000),
      inbound(15105, 'slow', 5000),
      inbound(15106, 'flaky', 5000),
      inbound(15107, 'limited', 5000),
      inbound(15108, 'secret', 5000),
      inbound(15109, 'guarded', 5000),
      inbound(15110, 'shadow', 5000),
      inbound(15111, 'logged', 5000),
      inbound(15112, 'throttled', 5000),
      inbound(15113, 'noroute', 5099, 'http', NOWHERE),
      inbound(16101, 'idle-tcp', 6000, 'tcp'),
      inbound(16102, 'limited-tcp', 6000, 'tcp'),
      inbound(16103, 'secret-tcp', 6000, 'tcp'),
      inbound(16104, 'logged-tcp', 6000, 'tcp'),
    ],
  }),
  dataplaneYaml({ mesh: 'default', name: 'backend-2', address: B2, inbound: [inbound(15000, 'backend', 5001)] }),
  dataplaneYaml({
    mesh: 'default',
    name: 'web',
    address: WEB,
    inbound: [inbound(18080, 'web', 8080)],
    outbound: [
      { port: 10002, service: 'flaky' },
      { port: 10003, service: 'resetter' },
      { port: 10004, service: 'ghost' },
    ],
  }),
  dataplaneYaml({ mesh: 'default', name: 'resetter-1', address: B3, inbound: [{ port: 7000, service: 'resetter', protocol: 'http' }] }),
  dataplaneYaml({ mesh: 'default', name: 'ghost-1', address: B3, inbound: [{ port: 7001, service: 'ghost', protocol: 'http' }] }),
)}---
type: MeshFaultInjection
name: fi-toggle
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ abort: { httpStatus: 503, percentage: 100 } }] }
---
type: MeshFaultInjection
name: fi-abort
mesh: default
spec:
  targetRef: { kind: MeshService, name: abort }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ abort: { httpStatus: 418, percentage: 100 } }] }
---
type: MeshFaultInjection
name: fi-delay
mesh: default
spec:
  targetRef: { kind: MeshService, name: delay }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ delay: { value: 200ms, percentage: 100 } }] }
---
type: MeshFaultInjection
name: fi-zero
mesh: default
spec:
  targetRef: { kind: MeshService, name: zero }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ abort: { httpStatus: 500, percentage: 0 }, delay: { value: 5s, percentage: "0" } }] }
---
type: MeshFaultInjection
name: fi-half
mesh: default
spec:
  targetRef: { kind: MeshService, name: half }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ abort: { httpStatus: 500, percentage: 20 } }, { abort: { httpStatus: 502, percentage: 50 } }] }
---
type: MeshFaultInjection
name: fi-throttle
mesh: default
spec:
  targetRef: { kind: MeshService, name: throttled }
  from:
    - targetRef: { kind: Mesh }
      default: { http: [{ responseBandwidth: { limit: 800kbps, percentage: 100 } }] }
---
type: MeshTimeout
name: timeout-slow
mesh: default
spec:
  targetRef: { kind: MeshService, name: slow }
  from:
    - targetRef: { kind: Mesh }
      default: { http: { requestTimeout: 300ms } }
---
type: MeshTimeout
name: timeout-idle
mesh: default
spec:
  targetRef: { kind: MeshService, name: idle-tcp }
  from:
    - targetRef: { kind: Mesh }
      default: { idleTimeout: 500ms }
---
type: MeshTimeout
name: timeout-connect
mesh: default
spec:
  targetRef: { kind: MeshService, name: noroute }
  from:
    - targetRef: { kind: Mesh }
      default: { connectionTimeout: 300ms }
---
type: MeshRetry
name: retry-flaky
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: flaky }
      default: { http: { numRetries: 3, retryOn: ["503"], backOff: { baseInterval: 10ms, maxInterval: 50ms } } }
---
type: MeshRetry
name: retry-lost
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: resetter }
      default: { http: { numRetries: 2, retryOn: [Reset, HttpMethodGet, HttpMethodPost], backOff: { baseInterval: 10ms } } }
    - targetRef: { kind: MeshService, name: ghost }
      default: { http: { numRetries: 2, retryOn: [ConnectFailure], backOff: { baseInterval: 10ms } } }
---
type: MeshRateLimit
name: rl-http
mesh: default
spec:
  targetRef: { kind: MeshService, name: limited }
  from:
    - targetRef: { kind: Mesh }
      default: { local: { http: { requestRate: { num: 3, interval: 1m } } } }
---
type: MeshRateLimit
name: rl-tcp
mesh: default
spec:
  targetRef: { kind: MeshService, name: limited-tcp }
  from:
    - targetRef: { kind: Mesh }
      default: { local: { tcp: { connectionRate: { num: 2, interval: 1m } } } }
---
type: MeshTrafficPermission
name: deny-secret
mesh: default
spec:
  targetRef: { kind: MeshService, name: secret }
  from:
    - targetRef: { kind: Mesh }
      default: { action: Deny }
---
type: MeshTrafficPermission
name: deny-secret-tcp
mesh: default
spec:
  targetRef: { kind: MeshService, name: secret-tcp }
  from:
    - targetRef: { kind: Mesh }
      default: { action: Deny }
---
type: MeshTrafficPermission
name: allow-web
mesh: default
spec:
  targetRef: { kind: MeshService, name: guarded }
  from:
    - targetRef: { kind: MeshService, name: web }
      default: { action: Allow }
---
type: MeshTrafficPermission
name: shadow
mesh: default
spec:
  targetRef: { kind: MeshService, name: shadow }
  from:
    - targetRef: { kind: Mesh }
      default: { action: AllowWithShadowDeny }
---
type: MeshAccessLog
name: log-http
mesh: default
spec:
  targetRef: { kind: MeshService, name: logged }
  from:
    - targetRef: { kind: Mesh }
      default:
        backends:
          - file:
              path: ${ACCESS_HTTP}
              format: { plain: '%KUMA_MESH% %KUMA_TRAFFIC_DIRECTION% %KUMA_SOURCE_SERVICE%->%KUMA_DESTINATION_SERVICE% "%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_SENT% %UPSTREAM_HOST% %REQ(X-MISSING?USER-AGENT):4% %REQ(X-NONE)%' }
---
type: MeshAccessLog
name: log-tcp
mesh: default
spec:
  targetRef: { kind: MeshService, name: logged-tcp }
  from:
    - targetRef: { kind: Mesh }
      default:
        backends:
          - file: { path: ${ACCESS_TCP} }
          - file:
              path: ${ACCESS_JSON}
              format:
                json:
                  - { key: source, value: '%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%' }
                  - { key: destination, value: '%KUMA_DESTINATION_SERVICE%' }
                  - { key: received, value: '%BYTES_RECEIVED%' }
                  - { key: sent, value: '%BYTES_SENT%' }
                  - { key: code, value: 'tcp %RESPONSE_CODE%' }
`;

interface PolicyDp {
  name: string;
  proc: HostProcess;
  host: Host;
  adminPort: number;
  file: string;
}

async function flows(dp: PolicyDp): Promise<FlowRecord[]> {
  const out = await dp.host.run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${dp.adminPort}/flows?limit=500`]);
  return (JSON.parse(out.stdout) as { flows: FlowRecord[] }).flows;
}

function flowWhere(dp: PolicyDp, what: string, match: (f: FlowRecord) => boolean): Promise<FlowRecord> {
  return eventually(async () => (await flows(dp)).find(match), what);
}

/** `curl` printing the body, then status and total time (seconds) on the last line. */
async function request(host: Host, url: string, extra: string[] = []): Promise<{ body: string; status: number; seconds: number }> {
  const out = await curl(host, [...extra, '-w', '\n%{http_code} %{time_total}', url]);
  const i = out.lastIndexOf('\n');
  const [status, seconds] = out.slice(i + 1).split(' ');
  return { body: out.slice(0, i), status: Number(status), seconds: Number(seconds) };
}

describeNetns('mesh policies enforced by the dataplane', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let app: HostProcess;
  const compiler = new PolicyCompiler();
  const dps = new Map<string, PolicyDp>();

  const writeConfig = (name: string): string => {
    const policies = compiler.compile('default', name);
    writeFileSync(dps.get(name)?.file ?? join(dir, `${name}.json`), JSON.stringify({ policies }));
    return policies.version.versionInfo;
  };

  const startPolicyDp = async (host: Host, name: string, adminPort: number, random?: string): Promise<PolicyDp> => {
    const file = join(dir, `${name}.json`);
    writeConfig(name);
    const proc = host.spawnNode(here('policy-dataplane.ts'), ['--file', file, '--admin-port', String(adminPort), ...(random ? ['--random', random] : [])]);
    await proc.waitForLine(/"event":"ready"/, 40_000);
    const dp = { name, proc, host, adminPort, file };
    dps.set(name, dp);
    return dp;
  };

  /** Recompiles one dataplane's config, hands it over and waits until it runs. */
  const push = async (name: string): Promise<string> => {
    const version = writeConfig(name);
    const dp = dps.get(name)!;
    dp.proc.child.kill('SIGUSR1');
    const line = await dp.proc.waitForLine(new RegExp(`"event":"(updated|nack)".*"${version}"`), 15_000);
    expect(line).toContain('"updated"');
    return version;
  };

  beforeAll(async () => {
    compiler.applyAll(parseResources(RESOURCES));
    lab = Lab.create('dp-policies');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${WEB}/24`, `${STRANGER}/24`], b: [`${B1}/24`, `${B2}/24`, `${B3}/24`] });
    app = server.spawnNode(here('http-app.mjs'), ['--host', '127.0.0.1', '--port', '5000', '--port', '5001']);
    // resetter-1's app, reached without a dataplane; nothing listens on ghost-1's port 7001.
    const resetter = server.spawnNode(here('http-app.mjs'), ['--host', B3, '--port', '7000']);
    await Promise.all([
      eventually(async () => app.lines.filter((l) => l.includes('"listening"')).length === 2, 'the HTTP app', 20_000),
      resetter.waitForLine(/"listening"/, 20_000),
      startTcpApp(server, 6000, 'echo', '127.0.0.1'),
    ]);
    await Promise.all([startPolicyDp(server, 'backend-1', 9901, '0.3'), startPolicyDp(server, 'backend-2', 9902), startPolicyDp(client, 'web', 9901)]);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('MeshFaultInjection', () => {
    it('aborts 100% of requests with the configured status, verdict faulted', async () => {
      const r = await request(client, `http://${B1}:15101/a`);
      expect(r.status).toBe(418);
      expect(r.body).toBe('fault filter abort');
      const flow = await flowWhere(dps.get('backend-1')!, 'the aborted flow', (f) => f.listener === `inbound:${B1}:15101`);
      expect(flow).toMatchObject({ verdict: 'faulted', reason: 'fault_abort', http: { status: 418, attempts: 0 } });
      expect(flow.upstream).toBeUndefined();
      expect(flow.policies).toEqual([{ type: 'MeshFaultInjection', name: 'fi-abort', action: 'abort 418' }]);
    });

    it('delays 100% of requests by 200ms', async () => {
      const r = await request(client, `http://${B1}:15102/d`);
      expect(r.status).toBe(200);
      expect(r.seconds).toBeGreaterThanOrEqual(0.2);
      const flow = await flowWhere(dps.get('backend-1')!, 'the delayed flow', (f) => f.listener === `inbound:${B1}:15102`);
      expect(flow).toMatchObject({ verdict: 'forwarded', http: { status: 200 } });
      expect(flow.timings.totalMs).toBeGreaterThanOrEqual(200);
      expect(flow.policies).toEqual([{ type: 'MeshFaultInjection', name: 'fi-delay', action: 'delay 200ms' }]);
    });

    it('does nothing at 0%', async () => {
      const r = await request(client, `http://${B1}:15103/z`);
      expect(r.status).toBe(200);
      // A 5s delay at 0% must not happen (a loaded machine can be slow, but not 5s slow).
      expect(r.seconds).toBeLessThan(5);
      const flow = await flowWhere(dps.get('backend-1')!, 'the 0% flow', (f) => f.listener === `inbound:${B1}:15103`);
      expect(flow).toMatchObject({ verdict: 'forwarded', policies: [] });
    });

    it('draws each percentage from the injected randomness (0.3: 20% misses, 50% hits)', async () => {
      const r = await request(client, `http://${B1}:15104/h`);
      expect(r.status).toBe(502);
      const flow = await flowWhere(dps.get('backend-1')!, 'the 50% flow', (f) => f.listener === `inbound:${B1}:15104`);
      expect(flow.policies).toEqual([{ type: 'MeshFaultInjection', name: 'fi-half', action: 'abort 502' }]);
    });

    it('throttles the response body to the response bandwidth', async () => {
      // 800kbps = 100 kB/s; 300 kB arrive in reads of at most 64 KiB, each followed by a pause for its
      // size, so everything but the last read waits: at least (300 000 - 65 536) / 100 000 s.
      const r = await curl(client, ['-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', `http://${B1}:15112/bytes?n=300000`]);
      const [status, size, seconds] = r.split(' ');
      expect(status).toBe('200');
      expect(Number(size)).toBe(300_000);
      expect(Number(seconds)).toBeGreaterThanOrEqual(2.3);
      const flow = await flowWhere(dps.get('backend-1')!, 'the throttled flow', (f) => f.listener === `inbound:${B1}:15112`);
      expect(flow.policies).toEqual([{ type: 'MeshFaultInjection', name: 'fi-throttle', action: 'response bandwidth 800kbps' }]);
    });

    it('toggled off for one dataplane: stops there on the next request, the other dataplane keeps it', async () => {
      expect((await request(client, `http://${B1}:15000/t1`)).status).toBe(503);
      expect((await request(client, `http://${B2}:15000/t1`)).status).toBe(503);
      const before2 = compiler.version('default', 'backend-2');
      const change = compiler.setToggle('default', 'backend-1', 'MeshFaultInjection', 'fi-toggle', false);
      expect(change.changes.map((c) => c.dataplane)).toEqual(['backend-1']);
      await push('backend-1');
      expect(compiler.version('default', 'backend-2')).toEqual(before2);

      const on1 = await request(client, `http://${B1}:15000/t2`);
      expect(on1.status).toBe(200);
      expect(JSON.parse(on1.body)).toMatchObject({ port: 5000, path: '/t2' });
      expect((await request(client, `http://${B2}:15000/t2`)).status).toBe(503);
      const f1 = await flowWhere(dps.get('backend-1')!, 'backend-1 after the toggle', (f) => f.http?.path === '/t2');
      expect(f1).toMatchObject({ verdict: 'forwarded', policies: [] });
      const f2 = await flowWhere(dps.get('backend-2')!, 'backend-2 after the toggle', (f) => f.http?.path === '/t2');
      expect(f2).toMatchObject({ verdict: 'faulted', policies: [{ type: 'MeshFaultInjection', name: 'fi-toggle', action: 'abort 503' }] });

      compiler.setToggle('default', 'backend-1', 'MeshFaultInjection', 'fi-toggle', true);
      await push('backend-1');
      expect((await request(client, `http://${B1}:15000/t3`)).status).toBe(503);
    });
  });

  describe('MeshTimeout', () => {
    it('answers 504 when the request timeout expires, verdict error', async () => {
      const r = await request(client, `http://${B1}:15105/slow?ms=3000`);
      expect(r.status).toBe(504);
      expect(r.body).toBe('upstream request timeout');
      expect(r.seconds).toBeGreaterThanOrEqual(0.3);
      const flow = await flowWhere(dps.get('backend-1')!, 'the timed-out flow', (f) => f.listener === `inbound:${B1}:15105`);
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_request_timeout', http: { status: 504 } });
      expect(flow.policies).toEqual([{ type: 'MeshTimeout', name: 'timeout-slow', action: 'request timeout 300ms: 504' }]);
    });

    it('closes a TCP connection idle for the idle timeout', async () => {
      const r = await tcpProbe(client, B1, 16101, 'idle', ['--send', 'x', '--timeout', '10000']);
      expect(r.data).toBe('x');
      expect(r.closed || r.error).toBeTruthy();
      expect(r.elapsedMs).toBeGreaterThanOrEqual(500);
      const flow = await flowWhere(dps.get('backend-1')!, 'the idle flow', (f) => f.listener === `inbound:${B1}:16101`);
      expect(flow).toMatchObject({ close: 'idle_timeout', verdict: 'error', policies: [{ type: 'MeshTimeout', name: 'timeout-idle', action: 'idle timeout 500ms' }] });
    });

    it('gives up connecting after the connection timeout: 503, reason upstream_connect_timeout', async () => {
      const r = await request(client, `http://${B1}:15113/`);
      expect(r.status).toBe(503);
      expect(r.seconds).toBeGreaterThanOrEqual(0.3);
      const flow = await flowWhere(dps.get('backend-1')!, 'the connect-timeout flow', (f) => f.listener === `inbound:${B1}:15113`);
      expect(flow).toMatchObject({ verdict: 'error', reason: 'upstream_connect_timeout', upstream: { address: NOWHERE, port: 5099 } });
      expect(flow.policies).toEqual([{ type: 'MeshTimeout', name: 'timeout-connect', action: 'connect timeout 300ms' }]);
    });
  });

  describe('MeshRetry', () => {
    it("turns a flaky upstream's 503s into a 200, with the attempts on the flow", async () => {
      const r = await request(client, 'http://127.0.0.1:10002/flaky?key=get-1&fail=2');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ key: 'get-1', n: 3 });
      const flow = await flowWhere(dps.get('web')!, 'the retried flow', (f) => f.http?.path === '/flaky?key=get-1&fail=2');
      expect(flow).toMatchObject({ direction: 'outbound', listener: 'outbound:127.0.0.1:10002', verdict: 'forwarded', http: { status: 200, attempts: 3 } });
      expect(flow.policies).toEqual([
        { type: 'MeshRetry', name: 'retry-flaky', action: 'retry 1/3 after 503' },
        { type: 'MeshRetry', name: 'retry-flaky', action: 'retry 2/3 after 503' },
      ]);
    });

    it('stops after numRetries and passes the last answer on', async () => {
      const r = await request(client, 'http://127.0.0.1:10002/flaky?key=get-2&fail=10');
      expect(r.status).toBe(503);
      const flow = await flowWhere(dps.get('web')!, 'the exhausted flow', (f) => f.http?.path === '/flaky?key=get-2&fail=10');
      expect(flow.http).toMatchObject({ status: 503, attempts: 4 });
      expect(flow.policies.map((p) => p.action)).toEqual(['retry 1/3 after 503', 'retry 2/3 after 503', 'retry 3/3 after 503']);
    });

    it('retries a request whose connection was reset before any answer (retryOn Reset)', async () => {
      const r = await request(client, 'http://127.0.0.1:10003/reset?key=reset-1&fail=1');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ key: 'reset-1', n: 2 });
      const flow = await flowWhere(dps.get('web')!, 'the reset-retried flow', (f) => f.http?.path === '/reset?key=reset-1&fail=1');
      expect(flow).toMatchObject({ listener: 'outbound:127.0.0.1:10003', verdict: 'forwarded', http: { status: 200, attempts: 2 } });
      expect(flow.policies).toEqual([{ type: 'MeshRetry', name: 'retry-lost', action: 'retry 1/2 after reset' }]);
    });

    it('repeats a POST when the policy names its method (HttpMethodPost)', async () => {
      const r = await request(client, 'http://127.0.0.1:10003/reset?key=post-2&fail=1', ['-X', 'POST']);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ key: 'post-2', n: 2 });
      const flow = await flowWhere(dps.get('web')!, 'the retried POST', (f) => f.http?.path === '/reset?key=post-2&fail=1');
      expect(flow).toMatchObject({ http: { method: 'POST', status: 200, attempts: 2 }, policies: [{ type: 'MeshRetry', name: 'retry-lost', action: 'retry 1/2 after reset' }] });
    });

    it('retries a connection failure (retryOn ConnectFailure), then gives up with 503', async () => {
      const r = await request(client, 'http://127.0.0.1:10004/refused');
      expect(r.status).toBe(503);
      const flow = await flowWhere(dps.get('web')!, 'the refused flow', (f) => f.http?.path === '/refused');
      expect(flow).toMatchObject({ listener: 'outbound:127.0.0.1:10004', verdict: 'error', http: { status: 503, attempts: 3 }, upstream: { address: B3, port: 7001 } });
      expect(flow.policies).toEqual([
        { type: 'MeshRetry', name: 'retry-lost', action: 'retry 1/2 after upstream_connect_refused' },
        { type: 'MeshRetry', name: 'retry-lost', action: 'retry 2/2 after upstream_connect_refused' },
      ]);
    });

    it('does not repeat a request that is not idempotent (POST)', async () => {
      const r = await request(client, 'http://127.0.0.1:10002/flaky?key=post-1&fail=1', ['-X', 'POST']);
      expect(r.status).toBe(503);
      const flow = await flowWhere(dps.get('web')!, 'the POST flow', (f) => f.http?.path === '/flaky?key=post-1&fail=1');
      expect(flow).toMatchObject({ http: { method: 'POST', status: 503, attempts: 1 }, policies: [] });
    });
  });

  describe('MeshRateLimit', () => {
    it('answers 429 with a clear body once the requests per interval are used up', async () => {
      const statuses: number[] = [];
      let last = '';
      for (let i = 0; i < 5; i++) {
        const r = await request(client, `http://${B1}:15107/r${i}`);
        statuses.push(r.status);
        last = r.body;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(last).toBe(`local_rate_limited: inbound:${B1}:15107 takes at most 3 requests per 1m (MeshRateLimit rl-http)\n`);
      const flow = await flowWhere(dps.get('backend-1')!, 'the limited flow', (f) => f.http?.path === '/r3');
      expect(flow).toMatchObject({ verdict: 'denied', reason: 'local_rate_limited', http: { status: 429 } });
      expect(flow.policies).toEqual([{ type: 'MeshRateLimit', name: 'rl-http', action: 'rate limit 429 (over 3 requests per 1m)' }]);
    });

    it('closes TCP connections over the connection rate', async () => {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await tcpProbe(client, B1, 16102, 'send', ['--send', `c${i}`]));
      expect(results.map((r) => r.data)).toEqual(['c0', 'c1', '']);
      const flow = await flowWhere(dps.get('backend-1')!, 'the refused connection', (f) => f.listener === `inbound:${B1}:16102` && f.verdict === 'denied');
      expect(flow).toMatchObject({ reason: 'local_rate_limited: over 2 connections per 1m', policies: [{ type: 'MeshRateLimit', name: 'rl-tcp', action: 'deny' }] });
      expect(flow.upstream).toBeUndefined();
    });
  });

  describe('MeshTrafficPermission', () => {
    it('Deny answers HTTP 403', async () => {
      const r = await request(client, `http://${B1}:15108/`);
      expect(r.status).toBe(403);
      expect(r.body).toBe('RBAC: access denied\n');
      const flow = await flowWhere(dps.get('backend-1')!, 'the denied request', (f) => f.listener === `inbound:${B1}:15108`);
      expect(flow).toMatchObject({ verdict: 'denied', reason: 'rbac_access_denied', policies: [{ type: 'MeshTrafficPermission', name: 'deny-secret', action: 'deny 403' }] });
    });

    it('Deny closes a TCP connection before any upstream', async () => {
      const r = await tcpProbe(client, B1, 16103, 'send', ['--send', 'hello']);
      expect(r.data).toBe('');
      const flow = await flowWhere(dps.get('backend-1')!, 'the denied connection', (f) => f.listener === `inbound:${B1}:16103`);
      expect(flow).toMatchObject({ verdict: 'denied', reason: 'rbac_access_denied', policies: [{ type: 'MeshTrafficPermission', name: 'deny-secret-tcp', action: 'deny' }] });
      expect(flow.upstream).toBeUndefined();
    });

    it('identifies the client by the dataplane owning its source address', async () => {
      const fromWeb = await request(client, `http://${B1}:15109/w`, ['--interface', WEB]);
      expect(fromWeb.status).toBe(200);
      const fromStranger = await request(client, `http://${B1}:15109/s`, ['--interface', STRANGER]);
      expect(fromStranger.status).toBe(403);
      const allowed = await flowWhere(dps.get('backend-1')!, 'the allowed request', (f) => f.http?.path === '/w');
      expect(allowed.policies).toEqual([{ type: 'MeshTrafficPermission', name: 'allow-web', action: 'allow' }]);
      const denied = await flowWhere(dps.get('backend-1')!, "the stranger's request", (f) => f.http?.path === '/s');
      expect(denied).toMatchObject({ verdict: 'denied', client: { address: STRANGER }, policies: [{ type: 'MeshTrafficPermission', name: '(default deny)', action: 'deny 403' }] });
    });

    it('AllowWithShadowDeny lets the request through and records the shadow deny', async () => {
      expect((await request(client, `http://${B1}:15110/`)).status).toBe(200);
      const flow = await flowWhere(dps.get('backend-1')!, 'the shadow-denied request', (f) => f.listener === `inbound:${B1}:15110`);
      expect(flow).toMatchObject({ verdict: 'forwarded', policies: [{ type: 'MeshTrafficPermission', name: 'shadow', action: 'shadow deny (allowed)' }] });
    });
  });

  describe('MeshAccessLog', () => {
    it('writes one line per HTTP request in the configured format', async () => {
      await request(client, `http://${B1}:15111/logged?x=1`, ['-A', 'probe-agent/1.0', '--interface', WEB]);
      const line = await eventually(async () => {
        try {
          return readFileSync(ACCESS_HTTP, 'utf8').split('\n').find((l) => l.includes('/logged?x=1'));
        } catch {
          return undefined;
        }
      }, 'the access log line');
      expect(line).toMatch(/^default INBOUND web->logged "GET \/logged\?x=1 HTTP\/1\.1" 200 - \d+ 127\.0\.0\.1:5000 prob -$/);
      const flow = await flowWhere(dps.get('backend-1')!, 'the logged flow', (f) => f.http?.path === '/logged?x=1');
      expect(flow.policies).toEqual([{ type: 'MeshAccessLog', name: 'log-http', action: `log ${ACCESS_HTTP}` }]);
      expect(Number(/ 200 - (\d+) /.exec(line)![1])).toBe(flow.http!.responseBytes);
    });

    it("writes TCP connections in Kuma's default format and as JSON", async () => {
      await tcpProbe(client, B1, 16104, 'send', ['--send', 'twelve bytes']);
      const read = (path: string) => {
        try {
          return readFileSync(path, 'utf8').trim();
        } catch {
          return '';
        }
      };
      const plain = await eventually(async () => read(ACCESS_TCP) || undefined, 'the TCP access log');
      expect(plain).toMatch(
        new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\] - default ${WEB.replaceAll('.', '\\.')}\\(web\\)->127\\.0\\.0\\.1:6000\\(logged-tcp\\) took \\d+ms, sent 12 bytes, received: 12 bytes$`),
      );
      const json = JSON.parse(await eventually(async () => read(ACCESS_JSON) || undefined, 'the JSON access log'));
      expect(json).toEqual({ source: WEB, destination: 'logged-tcp', received: 12, sent: 12, code: 'tcp 0' });
    });
  });
});
