import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@meshcap/testkit';
import { MeshcapError } from '../../errors.ts';
import type { FlowRecord } from '../../flows/index.ts';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { ENVOY_TYPES, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import { startDataplane, type DataplaneHandle } from '../engine.ts';
import { dataplaneYaml, resourcesYaml, type InboundFixture } from '../../testing.ts';

// Parity: a policy applied through a real PolicyCompiler, rendered as the Envoy resources the
// control plane sends (xdsResourcesOf), applied with applyXds, is enforced on real loopback
// traffic as the Envoy rendering says, and /config_dump shows exactly the resources sent.
// Clients are told apart by source address (127.0.0.2 is the dataplane `web`, 127.0.0.3 nobody).

type Obj = Record<string, unknown>;

const WEB = '127.0.0.2';
const STRANGER = '127.0.0.3';
const FLAKY = '127.0.0.4';

function request(port: number, opts: { from: string; path?: string; method?: string; host?: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: opts.host ?? '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', localAddress: opts.from, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** The test app: `/slow` answers after 500 ms, `/flaky/<key>` answers 503 twice then 200 (per key), the rest 200. */
function app(host: string): Promise<{ server: http.Server; port: number }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('slow'), 500);
    if (req.url?.startsWith('/flaky/')) {
      const n = (hits.get(req.url) ?? 0) + 1;
      hits.set(req.url, n);
      return void res.writeHead(n > 2 ? 200 : 503, { 'content-length': 2 }).end('ok');
    }
    res.end('ok');
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

const dir = mkdtempSync(join(tmpdir(), 'meshcap-xds-parity-'));
const LOG = join(dir, 'access.log');

describe('meshcap dp from xDS: policies enforced as their Envoy rendering says', () => {
  const apps: http.Server[] = [];
  let backend: DataplaneHandle;
  let web: DataplaneHandle;
  let pc: PolicyCompiler;
  const port: Record<string, number> = {};
  const sent: Record<string, { version: string; set: XdsResourceSet }> = {};

  const flowOf = (dp: DataplaneHandle, pred: (f: FlowRecord) => boolean): FlowRecord | undefined => dp.flows.recent().find(pred);
  const adminJson = async (dp: DataplaneHandle, path: string): Promise<Obj> => (await fetch(`http://127.0.0.1:${dp.admin!.port}${path}`)).json() as Promise<Obj>;

  /** Compiles a dataplane's resources and applies them, as the ADS client does on a push. */
  async function push(dp: DataplaneHandle, name: string, options: { routes?: 'rds' } = {}): Promise<void> {
    const policies = pc.compile('default', name);
    const set = xdsResourcesOf(policies, options);
    await dp.applyXds(policies.version.versionInfo, set);
    sent[name] = { version: policies.version.versionInfo, set };
  }

  beforeAll(async () => {
    const a = await app('127.0.0.1');
    const f = await app(FLAKY);
    apps.push(a.server, f.server);
    for (const k of ['secret', 'abort', 'limited', 'slow', 'logged', 'secretTcp', 'web', 'out']) port[k] = await freePort();
    const inbound = (p: number, service: string, tags?: Record<string, string>, protocol = 'http'): InboundFixture => ({ port: p, servicePort: a.port, service, protocol, ...(tags && { tags }) });
    const perClient = { group: 'per-client' };
    const mesh = resourcesYaml(
      dataplaneYaml({
        mesh: 'default',
        name: 'backend',
        address: '127.0.0.1',
        inbound: [
          inbound(port['secret']!, 'secret'),
          inbound(port['abort']!, 'abort'),
          inbound(port['limited']!, 'limited', perClient),
          inbound(port['slow']!, 'slow', perClient),
          inbound(port['logged']!, 'logged', perClient),
          inbound(port['secretTcp']!, 'secret-tcp', undefined, 'tcp'),
        ],
      }),
      dataplaneYaml({ mesh: 'default', name: 'web', address: WEB, inbound: [inbound(port['web']!, 'web')], outbound: [{ port: port['out']!, service: 'flaky' }] }),
      dataplaneYaml({ mesh: 'default', name: 'flaky-1', address: FLAKY, inbound: [{ port: f.port, service: 'flaky', protocol: 'http' }] }),
    );
    pc = new PolicyCompiler();
    pc.applyAll(parseResources(mesh));
    // Started from the resources of a mesh without policies, as a dataplane's first push.
    const start = async (name: string): Promise<DataplaneHandle> => {
      const policies = pc.compile('default', name);
      return startDataplane({ xds: { mesh: 'default', name, version: policies.version.versionInfo, resources: xdsResourcesOf(policies) }, admin: { port: 0 } });
    };
    backend = await start('backend');
    web = await start('web');
    pc.applyAll(
      parseResources(`
type: MeshTrafficPermission
name: secret-perm
mesh: default
spec:
  targetRef: { kind: MeshService, name: secret }
  from:
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
---
type: MeshTrafficPermission
name: secret-tcp-perm
mesh: default
spec:
  targetRef: { kind: MeshService, name: secret-tcp }
  from:
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
---
type: MeshTrafficPermission
name: per-client
mesh: default
spec:
  targetRef: { kind: MeshSubset, tags: { group: per-client } }
  from:
    - { targetRef: { kind: Mesh }, default: { action: Allow } }
    - { targetRef: { kind: MeshService, name: web }, default: { action: AllowWithShadowDeny } }
---
type: MeshFaultInjection
name: fi-abort
mesh: default
spec:
  targetRef: { kind: MeshService, name: abort }
  from:
    - { targetRef: { kind: Mesh }, default: { http: [{ abort: { httpStatus: 418, percentage: 100 } }] } }
---
type: MeshRateLimit
name: rl
mesh: default
spec:
  targetRef: { kind: MeshService, name: limited }
  from:
    - { targetRef: { kind: Mesh }, default: { local: { http: { requestRate: { num: 1, interval: 10s } } } } }
---
type: MeshTimeout
name: slow-timeout
mesh: default
spec:
  targetRef: { kind: MeshService, name: slow }
  from:
    - { targetRef: { kind: Mesh }, default: { http: { requestTimeout: 200ms } } }
---
type: MeshAccessLog
name: al
mesh: default
spec:
  targetRef: { kind: MeshService, name: logged }
  from:
    - targetRef: { kind: Mesh }
      default: { backends: [{ file: { path: ${LOG}, format: { plain: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %REQ(:PATH)% %RESPONSE_CODE% %KUMA_DESTINATION_SERVICE%' } } }] }
---
type: MeshRetry
name: retry-5xx
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: flaky }, default: { http: { numRetries: 2, retryOn: [5xx] } } }
`),
    );
    await push(backend, 'backend');
    await push(web, 'web');
  });

  afterAll(async () => {
    await backend?.stop({ drainMs: 100 });
    await web?.stop({ drainMs: 100 });
    for (const s of apps) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const listenerSent = (name: string, listener: string): Obj => sent[name]!.set.listeners.find((l) => l['name'] === listener) as Obj;
  const chains = (l: Obj): Obj[] => l['filter_chains'] as Obj[];

  it('MeshTrafficPermission: the client chain allows web, the catch-all denies everyone else (HTTP 403, TCP closed)', async () => {
    const l = listenerSent('backend', `inbound:127.0.0.1:${port['secret']}`);
    expect(chains(l).map((c) => (c['filter_chain_match'] as Obj | undefined)?.['source_prefix_ranges'])).toEqual([[{ address_prefix: WEB, prefix_len: 32 }], undefined]);
    expect((await request(port['secret']!, { from: WEB, path: '/mtp' })).status).toBe(200);
    const denied = await request(port['secret']!, { from: STRANGER, path: '/mtp' });
    expect(denied).toMatchObject({ status: 403, body: 'RBAC: access denied\n' });
    expect(flowOf(backend, (f) => f.http?.path === '/mtp' && f.client.address === WEB)!.policies).toEqual([{ type: 'MeshTrafficPermission', name: 'secret-perm', action: 'allow' }]);
    expect(flowOf(backend, (f) => f.http?.path === '/mtp' && f.client.address === STRANGER)).toMatchObject({ verdict: 'denied', policies: [{ type: 'MeshTrafficPermission', name: '(default deny)', action: 'deny 403' }] });

    const tcp = (from: string): Promise<string> =>
      new Promise((resolve) => {
        const s = net.connect({ port: port['secretTcp']!, host: '127.0.0.1', localAddress: from }, () => s.write('GET /tcp HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
        let data = '';
        s.on('data', (d) => (data += d.toString()));
        s.on('close', () => resolve(data));
        s.on('error', () => resolve(data));
      });
    expect(await tcp(WEB)).toMatch(/^HTTP\/1.1 200/);
    expect(await tcp(STRANGER)).toBe('');
  });

  it('MeshFaultInjection: envoy.filters.http.fault aborts with 418, the flow credits the policy', async () => {
    const r = await request(port['abort']!, { from: STRANGER, path: '/fault' });
    expect(r).toMatchObject({ status: 418, body: 'fault filter abort' });
    expect(flowOf(backend, (f) => f.http?.path === '/fault')).toMatchObject({ verdict: 'faulted', policies: [{ type: 'MeshFaultInjection', name: 'fi-abort', action: 'abort 418' }] });
  });

  it('MeshRateLimit per client: each filter chain has its own local_ratelimit bucket, as in Envoy', async () => {
    const l = listenerSent('backend', `inbound:127.0.0.1:${port['limited']}`);
    expect(chains(l)).toHaveLength(2);
    for (const c of chains(l)) {
      const hcm = ((c['filters'] as Obj[])[0]!['typed_config'] as Obj)['http_filters'] as Obj[];
      expect(hcm.map((h) => h['name'])).toContain('envoy.filters.http.local_ratelimit');
    }
    expect((await request(port['limited']!, { from: WEB, path: '/rl' })).status).toBe(200);
    expect((await request(port['limited']!, { from: WEB, path: '/rl' })).status).toBe(429);
    // The catch-all chain's bucket is another one: the stranger's first request passes.
    expect((await request(port['limited']!, { from: STRANGER, path: '/rl' })).status).toBe(200);
    expect((await request(port['limited']!, { from: STRANGER, path: '/rl' })).status).toBe(429);
    const limited = backend.flows.recent().filter((f) => f.http?.path === '/rl' && f.http.status === 429);
    expect(limited.map((f) => f.policies.find((p) => p.type === 'MeshRateLimit')?.name)).toEqual(['rl', 'rl']);
    // The web chain also carries the per-client permission (shadow deny), the catch-all the Mesh rule.
    expect(flowOf(backend, (f) => f.http?.path === '/rl' && f.client.address === WEB)!.policies[0]).toEqual({ type: 'MeshTrafficPermission', name: 'per-client', action: 'shadow deny (allowed)' });
  });

  it('MeshTimeout per client: the route timeout of each chain answers 504 after 200ms', async () => {
    const l = listenerSent('backend', `inbound:127.0.0.1:${port['slow']}`);
    for (const c of chains(l)) {
      const route = (((c['filters'] as Obj[])[0]!['typed_config'] as Obj)['route_config'] as Obj)['virtual_hosts'] as Obj[];
      expect(((route[0]!['routes'] as Obj[])[0]!['route'] as Obj)['timeout']).toBe('0.200s');
    }
    for (const from of [WEB, STRANGER]) {
      const t = performance.now();
      const r = await request(port['slow']!, { from, path: '/slow' });
      expect(r.status).toBe(504);
      expect(performance.now() - t).toBeLessThan(450);
      const f = flowOf(backend, (x) => x.http?.path === '/slow' && x.client.address === from)!;
      expect(f.policies).toContainEqual({ type: 'MeshTimeout', name: 'slow-timeout', action: 'request timeout 0.200s: 504' });
    }
    // Without a MeshTimeout the rendering says "no request timeout" (timeout 0s), and the proxy waits.
    const other = ((((chains(listenerSent('backend', `inbound:127.0.0.1:${port['abort']}`))[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj)['route_config'] as Obj)['virtual_hosts'] as Obj[])[0]!;
    expect(((other['routes'] as Obj[])[0]!['route'] as Obj)['timeout']).toBe('0s');
    expect((await request(port['secret']!, { from: WEB, path: '/slow' })).status).toBe(200);
  });

  it('MeshAccessLog per client: both chains log with the format as rendered', async () => {
    await request(port['logged']!, { from: WEB, path: '/log-web' });
    await request(port['logged']!, { from: STRANGER, path: '/log-stranger' });
    const deadline = Date.now() + 3_000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = readFileSync(LOG, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean);
      if (lines.length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // %KUMA_DESTINATION_SERVICE% was filled in by the rendering; the dataplane wrote what it received.
    expect(lines).toEqual([`${WEB} /log-web 200 logged`, `${STRANGER} /log-stranger 200 logged`]);
    expect(flowOf(backend, (f) => f.http?.path === '/log-web')!.policies).toContainEqual({ type: 'MeshAccessLog', name: 'al', action: `log ${LOG}` });
  });

  it('MeshRetry retryOn [5xx] without HttpMethod: rendered with the idempotent methods, and only those are retried', async () => {
    const route = (((((chains(listenerSent('web', `outbound:127.0.0.1:${port['out']}`))[0]!['filters'] as Obj[])[0]!['typed_config'] as Obj)['route_config'] as Obj)['virtual_hosts'] as Obj[])[0]!['routes'] as Obj[])[0]!['route'] as Obj;
    const policy = route['retry_policy'] as Obj;
    expect(policy['retry_on']).toBe('5xx');
    expect((policy['retriable_request_headers'] as Obj[]).map((h) => (h['string_match'] as Obj)['exact'])).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
    const get = await request(port['out']!, { from: '127.0.0.1', path: '/flaky/get' });
    expect(get.status).toBe(200);
    expect(flowOf(web, (f) => f.http?.path === '/flaky/get')).toMatchObject({ http: { attempts: 3 }, policies: [{ type: 'MeshRetry', name: 'retry-5xx', action: 'retry 1/2 after 503' }, { type: 'MeshRetry', name: 'retry-5xx', action: 'retry 2/2 after 503' }] });
    const post = await request(port['out']!, { from: '127.0.0.1', path: '/flaky/post', method: 'POST' });
    expect(post.status).toBe(503);
    expect(flowOf(web, (f) => f.http?.path === '/flaky/post')).toMatchObject({ http: { attempts: 1 }, policies: [] });
  });

  it('/config_dump is the resources sent, as received (EDS under include_eds), version_info the pushed version', async () => {
    const dump = await adminJson(web, '/config_dump');
    const configs = dump['configs'] as Obj[];
    const of = (type: string): Obj => configs.find((c) => c['@type'] === `type.googleapis.com/${type}`)!;
    const { version, set } = sent['web']!;
    expect(of(ENVOY_TYPES.listenersDump)['version_info']).toBe(version);
    expect((of(ENVOY_TYPES.listenersDump)['dynamic_listeners'] as Obj[]).map((d) => (d['active_state'] as Obj)['listener'])).toEqual(set.listeners);
    expect((of(ENVOY_TYPES.clustersDump)['dynamic_active_clusters'] as Obj[]).map((d) => d['cluster'])).toEqual(set.clusters);
    expect(configs.some((c) => c['@type'] === `type.googleapis.com/${ENVOY_TYPES.endpointsDump}`)).toBe(false);
    const eds = ((await adminJson(web, '/config_dump?include_eds')).configs as Obj[]).find((c) => c['@type'] === `type.googleapis.com/${ENVOY_TYPES.endpointsDump}`)!;
    const edsEntries = (eds['dynamic_endpoint_configs'] as Obj[]).filter((e) => (e['endpoint_config'] as Obj)['cluster_name'] === 'flaky');
    expect(edsEntries.map((e) => e['endpoint_config'])).toEqual(set.endpoints);
    expect(set.endpoints.map((e) => e['cluster_name'])).toEqual(['flaky']);
  });

  it('routes over RDS: the dump lists them as dynamic_route_configs; unchanged resources keep their stamps', async () => {
    const before = sent['web']!;
    const clusterStamps = async (): Promise<unknown[]> =>
      ((await adminJson(web, '/config_dump?resource=dynamic_active_clusters')).configs as Obj[]).map((d) => [(d['cluster'] as Obj)['name'], d['version_info'], d['last_updated']]);
    const stampsBefore = await clusterStamps();
    const rds: XdsResourceSet = xdsResourcesOf(pc.compile('default', 'web'), { routes: 'rds' });
    await web.applyXds(`${before.version}-rds`, rds);
    const dump = (await adminJson(web, '/config_dump')).configs as Obj[];
    const routes = dump.find((c) => c['@type'] === `type.googleapis.com/${ENVOY_TYPES.routesDump}`)!;
    expect((routes['dynamic_route_configs'] as Obj[]).map((r) => r['route_config'])).toEqual(rds.routes);
    expect((routes['dynamic_route_configs'] as Obj[]).every((r) => r['version_info'] === `${before.version}-rds`)).toBe(true);
    // Clusters did not change: they keep the version and time they came with.
    const clusters = dump.find((c) => c['@type'] === `type.googleapis.com/${ENVOY_TYPES.clustersDump}`)!;
    expect(clusters['version_info']).toBe(`${before.version}-rds`);
    expect(await clusterStamps()).toEqual(stampsBefore);
    expect((clusters['dynamic_active_clusters'] as Obj[]).every((c) => c['version_info'] !== `${before.version}-rds`)).toBe(true);
    // The retry still applies, now from the RouteConfiguration served apart.
    expect((await request(port['out']!, { from: '127.0.0.1', path: '/flaky/rds' })).status).toBe(200);
  });

  it('what it cannot honour is refused naming resource and field; the last good config stays in force', async () => {
    const good = web.version;
    const bad: XdsResourceSet = {
      ...sent['web']!.set,
      clusters: sent['web']!.set.clusters.map((c) => (c['name'] === 'flaky' ? { ...c, health_checks: [{ timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, grpc_health_check: {} }] } : c)) as EnvoyMessage[],
    };
    const err = await web.applyXds('bad', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshcapError);
    expect((err as MeshcapError).message).toMatch(/^Cluster "flaky"\.health_checks\[0\]\.grpc_health_check: not supported by meshcap dp/);
    expect(web.version).toBe(good);
    expect((await adminJson(web, '/config_dump?resource=dynamic_listeners')).configs).toBeDefined();
    const dump = (await adminJson(web, '/config_dump')).configs as Obj[];
    expect(dump.find((c) => c['@type'] === `type.googleapis.com/${ENVOY_TYPES.listenersDump}`)!['version_info']).toBe(good);
    expect((await request(port['out']!, { from: '127.0.0.1', path: '/flaky/after-nack' })).status).toBe(200);
  });
});
