import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, cpDir, transparentDataplaneYaml, eventually, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * Service discovery and routing end to end, in real namespaces with capture and `--redirect-dns`
 * on: `meshcap cp` in the root namespace; a client whose `meshcap dp` answers `backend.mesh` with
 * the VIP and captures the connection to it; three backend dataplanes (b1 is version v1, b2 and b3
 * version v2), each answering its own name. Round robin across the three, a MeshHTTPRoute 80/20
 * split between the versions, and a killed backend ejected by outlier detection.
 */

const CLIENT = ['198.18.20.1', '198.18.21.1', '198.18.22.1'] as const;
const BACKEND = ['198.18.20.2', '198.18.21.2', '198.18.22.2'] as const;
const VERSION = ['v1', 'v2', 'v2'] as const;

const where = cpDir('meshcap-routes-netns-');

describeNetns('backend.mesh: round robin, MeshHTTPRoute split and outlier ejection through capture with --redirect-dns (cp, four dataplanes)', () => {
  let lab: Lab;
  let client: Host;
  let cp: Cp;
  const apps: HostProcess[] = [];
  let etc = '';

  const apply = (yaml: string) => api(cp, '/api/resources', { method: 'POST', body: yaml, type: 'application/yaml' });
  /** `n` requests from the client to http://backend.mesh/ on one keep-alive connection (curl's URL globbing); the answers, one per request. */
  const answers = async (n: number): Promise<string[]> => {
    const r = await client.run('curl', ['-sS', '--max-time', '120', `http://backend.mesh/[1-${n}]`], { allowFail: true, timeoutMs: 150_000 });
    return r.stdout.split('\n').filter((l) => l !== '');
  };
  const count = (list: readonly string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const a of list) out[a] = (out[a] ?? 0) + 1;
    return out;
  };

  beforeAll(async () => {
    cp = await startCp(where);
    lab = Lab.create('routes');
    client = await lab.host('client');
    const backends: Host[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await lab.host(`b${i + 1}`);
      backends.push(b);
      await lab.link(client, b, { a: [`${CLIENT[i]}/24`], b: [`${BACKEND[i]}/24`] });
    }
    // The VIP needs a route for connect() to reach the capture rules.
    await client.run('ip', ['route', 'add', 'default', 'via', BACKEND[0]]);
    etc = join('/etc/netns', client.netns);
    mkdirSync(etc, { recursive: true });
    // No resolver behind it: every name this test asks is a mesh name, answered by the dataplane.
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${BACKEND[0]}\noptions timeout:2 attempts:1\n`);
    await installTransparentProxy(parseTransparentProxyConfig({ redirectDns: true, resolvConfPath: join(etc, 'resolv.conf') }), { netns: client.netns });
    for (let i = 0; i < 3; i++) {
      await installTransparentProxy(parseTransparentProxyConfig({}), { netns: backends[i]!.netns });
      const app = backends[i]!.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('b${i + 1}\\n')).listen(5000,()=>console.log('listening'))`]);
      await app.waitForLine(/listening/);
      apps.push(app);
    }
    await startDataplanes(cp, where, [
      ...backends.map((host, i) => ({
        name: `b${i + 1}`,
        host,
        yaml: transparentDataplaneYaml({ name: `b${i + 1}`, address: BACKEND[i]!, inbound: [{ port: 5000, service: 'backend', protocol: 'http', tags: { version: VERSION[i]! } }] }),
      })),
      { name: 'web', host: client, yaml: transparentDataplaneYaml({ name: 'web', address: CLIENT[0] }) },
    ], 120_000);
    // The client runs a config that knows all three endpoints.
    await eventually(async () => {
      const c = (await client.run('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/clusters'], { allowFail: true })).stdout;
      return BACKEND.every((b) => c.includes(`backend::${b}:5000::health_flags::healthy`)) ? true : undefined;
    }, "backend's three endpoints in the client's /clusters");
  }, 300_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    if (etc) rmSync(etc, { recursive: true, force: true });
    rmSync(where.dir, { recursive: true, force: true });
  });

  it('curl http://backend.mesh/ reaches the three backend dataplanes in round robin', async () => {
    const got = await answers(30);
    expect(got).toHaveLength(30);
    expect(count(got)).toEqual({ b1: 10, b2: 10, b3: 10 });
    // Strict turn: every window of three holds each backend once.
    for (let i = 0; i + 3 <= got.length; i += 3) expect(new Set(got.slice(i, i + 3)).size).toBe(3);
  });

  it('a MeshHTTPRoute 80/20 split between version v1 and v2 holds within ±5 % over 1,000 requests', async () => {
    await apply(`type: MeshHTTPRoute
name: backend-split
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      rules:
        - matches: [{ path: { type: PathPrefix, value: / } }]
          default:
            backendRefs:
              - { kind: MeshServiceSubset, name: backend, tags: { version: v1 }, weight: 80 }
              - { kind: MeshServiceSubset, name: backend, tags: { version: v2 }, weight: 20 }
`);
    await eventually(async () => {
      const dump = (await client.run('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/config_dump'], { allowFail: true })).stdout;
      return dump.includes('"backend_version-v1"') ? true : undefined;
    }, 'the route in the client dataplane');
    const got = await answers(1000);
    expect(got).toHaveLength(1000);
    const c = count(got);
    expect(c['b1']).toBeGreaterThanOrEqual(750);
    expect(c['b1']).toBeLessThanOrEqual(850);
    expect((c['b2'] ?? 0) + (c['b3'] ?? 0)).toBe(1000 - c['b1']!);
    await api(cp, '/api/meshes/default/resources/MeshHTTPRoute/backend-split', { method: 'DELETE' });
  }, 180_000);

  it('a route to a service that does not exist is refused with the field path', async () => {
    const err = await apply(`type: MeshHTTPRoute
name: nowhere
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      rules:
        - matches: [{ path: { type: PathPrefix, value: / } }]
          default: { backendRefs: [{ kind: MeshService, name: ghost }] }
`).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(err).toContain('400');
    expect(err).toContain('MESHCAP_ERR_INVALID_RESOURCE');
    expect(err).toContain('spec.to[0].rules[0].default.backendRefs[0].name');
  });

  it('killing one backend: outlier detection ejects it and the client sees no error after that', async () => {
    await apply(`type: MeshCircuitBreaker
name: eject
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default: { outlierDetection: { interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 50, detectors: { totalFailures: { consecutive: 2 }, localOriginFailures: { consecutive: 2 } } } }
`);
    await eventually(async () => {
      const dump = (await client.run('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/config_dump'], { allowFail: true })).stdout;
      return dump.includes('outlier_detection') && !dump.includes('"backend_version-v1"') ? true : undefined;
    }, 'the circuit breaker (and no route) in the client dataplane');
    await apps[2]!.stop('SIGKILL');
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await client.run('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}\\n', `http://backend.mesh/[1-10]`], { allowFail: true, timeoutMs: 60_000 });
      statuses.push(...r.stdout.split('\n').filter(Boolean));
    }
    expect(statuses).toHaveLength(40);
    const failures = statuses.map((s, i) => (s === '200' ? -1 : i)).filter((i) => i >= 0);
    // The dead one answers connection failures (503) until its second, then it is out.
    expect(failures.length).toBeLessThanOrEqual(2);
    expect(statuses.slice(10).every((s) => s === '200')).toBe(true);
    const clusters = (await client.run('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/clusters'])).stdout;
    expect(clusters).toContain(`backend::${BACKEND[2]}:5000::health_flags::/failed_outlier_check`);
  }, 120_000);
});
