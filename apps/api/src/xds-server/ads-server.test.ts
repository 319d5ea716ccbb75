import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  AdsClient,
  ADS_METHOD_PATH,
  decodeDiscoveryResponse,
  loadProtoJsonCodec,
  XDS_TYPE_NAMES,
  XDS_TYPES,
  type DiscoveryRequest,
  type EnvoyProtoJsonCodec,
  type ReceivedDiscoveryResponse,
  type XdsResourceSet,
  type XdsTypeUrl,
} from '@meshcap/core';
import { dataplaneYaml } from '@meshcap/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

/** Polls `check` until it returns a truthy value (bounded). */
async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Dataplane `name` serving its own service over HTTP on 8080, calling `outbound` (on redis's address) when given. */
function dataplane(name: string, opts: { address?: string; outbound?: string } = {}): string {
  return dataplaneYaml({
    mesh: 'default',
    name,
    address: opts.address ?? '198.18.0.10',
    inbound: [{ port: 8080, service: name, protocol: 'http' }],
    ...(opts.outbound && { outbound: [{ port: 6379, address: '198.18.0.20', service: opts.outbound }] }),
  });
}

const REDIS = dataplaneYaml({ mesh: 'default', name: 'redis', address: '198.18.0.20', inbound: [{ port: 6379, service: 'redis' }] });

function fault(name: string, status: number): string {
  return `type: MeshFaultInjection
mesh: default
name: ${name}
spec:
  targetRef: { kind: Mesh }
  from:
    - targetRef: { kind: Mesh }
      default:
        http:
          - abort: { httpStatus: ${status}, percentage: 50 }
`;
}

describe('ADS server (state of the world) with the dataplane ADS client', () => {
  let cp: TestControlPlane;
  let target: string;
  let codec: EnvoyProtoJsonCodec;
  const clients: AdsClient[] = [];

  async function tokenFor(name: string): Promise<{ token: string; id: string }> {
    const res = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name } });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string; id: string }>();
  }

  /** An ADS client that records every set it was given; `refuse` makes it NACK. */
  function dp(name: string, token: string | undefined, opts: { refuse?: (set: XdsResourceSet) => string | undefined; metadata?: Record<string, unknown>; nodeId?: string } = {}) {
    const applied: Array<{ version: string; set: XdsResourceSet }> = [];
    const client = new AdsClient({
      target,
      node: { id: opts.nodeId ?? `default.${name}`, metadata: opts.metadata },
      token,
      codec,
      backoff: { initialMs: 50, maxMs: 200 },
      apply: async (version, set) => {
        const why = opts.refuse?.(set);
        if (why) throw new Error(why);
        applied.push({ version, set });
      },
    });
    clients.push(client);
    return { client, applied };
  }

  const status = (name: string) => cp.app.dataplanes.statuses.get('default', name);
  const expected = (name: string) => cp.app.catalog.compiler.compile('default', name).version.versionInfo;

  beforeAll(async () => {
    codec = await loadProtoJsonCodec();
    cp = await startTestApp();
    target = await cp.app.xds.listen('127.0.0.1:0');
    expect((await applyYaml(cp.app, [dataplane('web', { outbound: 'redis' }), REDIS].join('---\n'))).statusCode).toBe(200);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await cp.close();
  });

  it('sends the dataplane its listeners, clusters and endpoints; the ACK makes its status show the version it runs', async () => {
    const { token } = await tokenFor('web');
    const { client, applied } = dp('web', token);
    const version = expected('web');
    await client.applied(version);
    const set = applied.at(-1)!.set;
    expect(set.listeners.map((l) => l['name'])).toContain('inbound:198.18.0.10:8080');
    expect(set.clusters.find((c) => c['name'] === 'redis')?.['type']).toBe('EDS');
    // The EDS cluster's endpoints came by name, after the cluster.
    expect(set.endpoints.map((e) => e['cluster_name'])).toEqual(['redis']);
    await eventually(() => status('web').configVersion === version, 'the ACK in the status');
    expect(status('web')).toMatchObject({ configSource: 'xds', xdsStreams: 1, pendingVersion: null, totalNacks: 0 });
  });

  it('NACK: a refused version stays out, the last good one stays in force, and the NACK message is in the status', async () => {
    const { token } = await tokenFor('web');
    let refuse = false;
    const { client, applied } = dp('web', token, { refuse: () => (refuse ? 'listener "inbound:198.18.0.10:8080": filter envoy.filters.http.fault: not supported here' : undefined) });
    const good = expected('web');
    await client.applied(good);
    refuse = true;
    await applyYaml(cp.app, fault('abort-half', 503));
    const bad = expected('web');
    expect(bad).not.toBe(good);
    await eventually(() => status('web').totalNacks > 0, 'the NACK');
    expect(client.stats.version).toBe(good);
    expect(applied.map((a) => a.version)).not.toContain(bad);
    expect(status('web').configVersion).toBe(good);
    expect(status('web').errors[0]).toMatchObject({ version: bad });
    expect(status('web').errors[0]!.message).toMatch(/version .* refused: listener "inbound:198.18.0.10:8080": filter envoy.filters.http.fault: not supported here/);
    // The listeners the API shows are those of the version the dataplane runs, not of the refused one.
    const listeners = (await cp.app.inject({ method: 'GET', url: '/api/meshes/default/dataplanes/web/listeners', headers: AUTH })).json();
    expect(listeners.configVersion).toBe(good);
    const inbound = listeners.items.find((l: { name: string }) => l.name === 'inbound:198.18.0.10:8080');
    expect(inbound.filters).not.toContain('envoy.filters.http.fault');
    // The same content is not sent again; a fixed one is taken.
    refuse = false;
    await applyYaml(cp.app, fault('abort-half', 500));
    await client.applied(expected('web'));
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/MeshFaultInjection/abort-half', headers: AUTH });
  });

  it('changes that arrive while a set is still being applied end in the newest version, applied whole', async () => {
    const { token } = await tokenFor('web');
    // A dataplane whose apply takes a while (as installing listeners and capture rules can): the
    // control plane's next versions arrive, type by type, while the previous one is in progress.
    const applied: string[] = [];
    const client = new AdsClient({
      target,
      node: { id: 'default.web' },
      token,
      codec,
      backoff: { initialMs: 50, maxMs: 200 },
      apply: async (version) => {
        await new Promise((r) => setTimeout(r, 150));
        applied.push(version);
      },
    });
    clients.push(client);
    await client.applied(expected('web'));
    for (const [i, status] of [501, 502, 503, 504].entries()) {
      await applyYaml(cp.app, fault('abort-half', status));
      await new Promise((r) => setTimeout(r, [0, 40, 90, 10][i]));
    }
    const last = expected('web');
    await client.applied(last);
    expect(applied.at(-1)).toBe(last);
    await eventually(() => status('web').configVersion === last, 'the ACK of the newest version');
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/MeshFaultInjection/abort-half', headers: AUTH });
    await client.applied(expected('web'));
  });

  it('a service that gets its first endpoints: the new EDS subscription is answered though the server had pushed on', async () => {
    // The client subscribes to redis's load assignment; without endpoints `cache` has none; its dataplane's arrival
    // pushes CDS, EDS and LDS at once, so the client's new EDS names reach the server after the
    // EDS response went out (a stale nonce, which the server ignores): the client asks again.
    const cacheDp = (address: string) => dataplaneYaml({ mesh: 'default', name: 'cache', address, inbound: [{ port: 6380, service: 'cache' }] });
    expect((await applyYaml(cp.app, dataplaneYaml({
      mesh: 'default',
      name: 'shop',
      address: '198.18.0.11',
      inbound: [{ port: 8080, service: 'shop', protocol: 'http' }],
      outbound: [
        { port: 6379, address: '198.18.0.20', service: 'redis' },
        { port: 6380, address: '198.18.0.21', service: 'cache' },
      ],
      transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
    }))).statusCode).toBe(200);
    const { token } = await tokenFor('shop');
    const { client, applied } = dp('shop', token);
    await client.applied(expected('shop'));
    // Transparent: without endpoints the outbound goes to the original destination (no EDS).
    expect(applied.at(-1)!.set.clusters.find((c) => c['name'] === 'cache')?.['type']).toBe('ORIGINAL_DST');
    expect((await applyYaml(cp.app, cacheDp('198.18.0.21'))).statusCode).toBe(200);
    await client.applied(expected('shop'));
    expect(applied.at(-1)!.set.endpoints.map((e) => e['cluster_name'])).toContain('cache');
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/cache', headers: AUTH });
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/shop', headers: AUTH });
  });

  it('a resource removed from the mesh is removed from the dataplane', async () => {
    const { token } = await tokenFor('web');
    const { client, applied } = dp('web', token);
    await client.applied(expected('web'));
    expect((await applyYaml(cp.app, dataplane('web'))).statusCode).toBe(200); // no outbound any more
    await client.applied(expected('web'));
    const set = applied.at(-1)!.set;
    expect(set.clusters.map((c) => c['name'])).not.toContain('redis');
    expect(set.endpoints).toEqual([]);
    expect((await applyYaml(cp.app, dataplane('web', { outbound: 'redis' }))).statusCode).toBe(200);
    await client.applied(expected('web'));
    expect(applied.at(-1)!.set.clusters.map((c) => c['name'])).toContain('redis');
  });

  it('refuses a token of another dataplane, a missing token and a bad one; nothing is sent', async () => {
    const { token } = await tokenFor('redis');
    const imposter = dp('web', token);
    const none = dp('web', undefined);
    const bad = dp('web', 'mcdp_0000000000000000_' + 'A'.repeat(43));
    await eventually(() => imposter.client.stats.lastError && none.client.stats.lastError && bad.client.stats.lastError, 'three refusals');
    expect(imposter.client.stats.lastError).toMatch(/token is for dataplane "redis".*cannot subscribe as node "default.web"/);
    expect(none.client.stats.lastError).toMatch(/a dataplane token is required/);
    expect(bad.client.stats.lastError).toMatch(/not valid/);
    expect([...imposter.applied, ...none.applied, ...bad.applied]).toEqual([]);
  });

  it('takes the token from node metadata and registers the Dataplane the node sends (kuma-dp\'s dataplane.resource)', async () => {
    const { token } = await tokenFor('db');
    const { client, applied } = dp('db', undefined, { metadata: { 'dataplane.token': token, 'dataplane.resource': dataplane('db', { address: '198.18.0.30' }) } });
    await eventually(() => applied.length > 0, 'resources for a registered dataplane');
    expect(cp.app.catalog.dataplanes('default').map((d) => d.name)).toContain('db');
    expect(applied[0]!.set.listeners.map((l) => l['name'])).toContain('inbound:198.18.0.30:8080');
    client.close();
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/db', headers: AUTH });
  });

  it('a token bound to name, mesh and tags cannot act as another dataplane: not by a forged node.id, not by claiming other tags, not after it expires', async () => {
    const issue = async (payload: object) => {
      const res = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload });
      expect(res.statusCode).toBe(200);
      return res.json<{ token: string; id: string; expiresAt: string }>();
    };
    const bound = await issue({ name: 'pay', tags: { 'kuma.io/service': 'pay' } });
    const as = (nodeId: string, resource: string) => dp('pay', undefined, { nodeId, metadata: { 'dataplane.token': bound.token, 'dataplane.resource': resource } });
    // Another dataplane's node.id (web exists and is served) with this token: refused, nothing sent.
    const forged = as('default.web', dataplane('web'));
    // Its own name, but claiming web's service in its inbound tags: refused by the token's tags.
    const otherTags = as('default.pay', dataplane('pay').replace('kuma.io/service: pay', 'kuma.io/service: web'));
    // Its own name in another mesh's node.id.
    const otherMesh = as('other.pay', dataplane('pay'));
    await eventually(() => forged.client.stats.lastError && otherTags.client.stats.lastError && otherMesh.client.stats.lastError, 'three refusals');
    expect(forged.client.stats.lastError).toMatch(/token is for dataplane "pay".*cannot subscribe as node "default.web"/);
    expect(otherTags.client.stats.lastError).toMatch(/allows kuma.io\/service "pay"; dataplane "pay" claims "web"/);
    expect(otherMesh.client.stats.lastError).toMatch(/cannot subscribe as node "other.pay"/);
    expect([...forged.applied, ...otherTags.applied, ...otherMesh.applied]).toEqual([]);
    expect(cp.app.catalog.dataplanes('default').map((d) => d.name)).not.toContain('pay');
    // The honest claim passes.
    const honest = as('default.pay', dataplane('pay', { address: '198.18.0.31' }));
    await eventually(() => honest.applied.length > 0, 'the honest dataplane served');
    honest.client.close();
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/Dataplane/pay', headers: AUTH });

    // Expiry: a token valid for 1 s works, then is refused on the next connect.
    const brief = await issue({ name: 'web', validFor: '1s' });
    expect(Date.parse(brief.expiresAt) - Date.now()).toBeLessThanOrEqual(1_000);
    expect(await cp.app.dataplaneTokens.verify(brief.token)).toMatchObject({ name: 'web' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await cp.app.dataplaneTokens.verify(brief.token)).toBeUndefined();
    const late = dp('web', brief.token);
    await eventually(() => late.client.stats.lastError, 'the refusal');
    expect(late.client.stats.lastError).toMatch(/not valid/);
    expect(late.applied).toEqual([]);
    // Without validFor, Kuma's default lifetime: 10 years.
    const long = await issue({ name: 'web' });
    expect(Date.parse(long.expiresAt) - Date.now()).toBeGreaterThan(87_599 * 3600_000);
  });

  it('ends the stream of a revoked token', async () => {
    const { token, id } = await tokenFor('web');
    const { client } = dp('web', token);
    await client.applied(expected('web'));
    const res = await cp.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: AUTH });
    expect(res.statusCode).toBe(200);
    await eventually(() => client.stats.lastError?.includes('revoked') || client.stats.lastError?.includes('not valid'), 'the stream ended');
  });

  it('serves 60 dataplanes at once and pushes one change to all of them', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `many-${i}`);
    const yaml = names.map((n, i) => dataplane(n, { address: `198.18.1.${i + 1}`, outbound: 'redis' })).join('---\n');
    expect((await applyYaml(cp.app, yaml)).statusCode).toBe(200);
    const dps = await Promise.all(names.map(async (n) => dp(n, (await tokenFor(n)).token)));
    await Promise.all(names.map((n, i) => dps[i]!.client.applied(expected(n))));
    await applyYaml(cp.app, fault('abort-all', 503));
    await Promise.all(names.map((n, i) => dps[i]!.client.applied(expected(n))));
    await eventually(() => names.every((n) => status(n).configVersion === expected(n)), 'every ACK');
    for (const d of dps) expect(JSON.stringify(d.applied.at(-1)!.set.listeners)).toContain('envoy.filters.http.fault');
    await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/MeshFaultInjection/abort-all', headers: AUTH });
  }, 30_000);
});

describe('ADS wire order and nonces (a raw stream, as Envoy sees it)', () => {
  let cp: TestControlPlane;
  let codec: EnvoyProtoJsonCodec;
  let grpc: Client;

  beforeAll(async () => {
    codec = await loadProtoJsonCodec();
    cp = await startTestApp();
    const target = await cp.app.xds.listen('127.0.0.1:0');
    grpc = new Client(target, credentials.createInsecure());
    await applyYaml(cp.app, [dataplane('web', { outbound: 'redis' }), REDIS].join('---\n'));
  });

  afterAll(async () => {
    grpc.close();
    await cp.close();
  });

  it('answers each subscription, ignores a stale nonce, and pushes CDS before EDS before LDS', async () => {
    const { token } = (await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name: 'web' } })).json<{ token: string }>();
    const metadata = new Metadata();
    metadata.set('authorization', token);
    const got: ReceivedDiscoveryResponse[] = [];
    const call = grpc.makeBidiStreamRequest<DiscoveryRequest, ReceivedDiscoveryResponse>(
      ADS_METHOD_PATH,
      (m) => Buffer.from(codec.encode('envoy.service.discovery.v3.DiscoveryRequest', m)),
      (b) => decodeDiscoveryResponse(codec, b),
      metadata,
    );
    let error: ServiceError | undefined;
    call.on('data', (r: ReceivedDiscoveryResponse) => got.push(r));
    call.on('error', (e: ServiceError) => (error = e));
    const last = (type: XdsTypeUrl) => got.filter((r) => r.type_url === type).at(-1);
    call.write({ node: { id: 'default.web' }, type_url: XDS_TYPES.cluster, resource_names: [] });
    call.write({ type_url: XDS_TYPES.listener, resource_names: [] });
    await eventually(() => last(XDS_TYPES.cluster) && last(XDS_TYPES.listener), 'CDS and LDS');
    const cds = last(XDS_TYPES.cluster)!;
    const lds = last(XDS_TYPES.listener)!;
    expect(cds.resources.length).toBeGreaterThan(0);
    call.write({ type_url: XDS_TYPES.endpoint, resource_names: ['redis'] });
    await eventually(() => last(XDS_TYPES.endpoint), 'EDS for redis');
    expect(last(XDS_TYPES.endpoint)!.resources.map((r) => r['cluster_name'])).toEqual(['redis']);
    // ACK all three.
    call.write({ type_url: XDS_TYPES.cluster, version_info: cds.version_info, response_nonce: cds.nonce });
    call.write({ type_url: XDS_TYPES.listener, version_info: lds.version_info, response_nonce: lds.nonce });
    const eds = last(XDS_TYPES.endpoint)!;
    call.write({ type_url: XDS_TYPES.endpoint, version_info: eds.version_info, response_nonce: eds.nonce, resource_names: ['redis'] });
    await eventually(() => cp.app.dataplanes.statuses.get('default', 'web').configVersion === cds.version_info, 'ACKed');
    // A stale nonce (an older response) is neither ACK nor NACK.
    const acks = cp.app.xds.counters.acks;
    call.write({ type_url: XDS_TYPES.cluster, response_nonce: 'stale', error_detail: { code: 3, message: 'old' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(cp.app.xds.counters.acks).toBe(acks);
    expect(cp.app.dataplanes.statuses.get('default', 'web').totalNacks).toBe(0);
    // A change of the redis endpoints and of the listeners: pushed in Envoy's order.
    const before = got.length;
    const timeout = `type: MeshTimeout
mesh: default
name: redis-connect
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: redis }
      default: { connectionTimeout: 2s }
`;
    expect((await applyYaml(cp.app, [REDIS.replace('198.18.0.20', '198.18.0.21'), fault('f', 503), timeout].join('---\n'))).statusCode).toBe(200);
    await eventually(() => got.length >= before + 3, 'the push');
    const order = got.slice(before).map((r) => XDS_TYPE_NAMES[r.type_url as XdsTypeUrl]);
    expect(order).toEqual(['CDS', 'EDS', 'LDS']);
    expect(order.indexOf('CDS')).toBeLessThan(order.indexOf('EDS'));
    expect(order.indexOf('EDS')).toBeLessThan(order.indexOf('LDS'));
    expect(error).toBeUndefined();
    call.end();
  });
});

describe('ADS reconnect', () => {
  it('after a control plane restart the dataplane reconnects with the version it runs, and is not reconfigured for nothing', async () => {
    const codec = await loadProtoJsonCodec();
    let cp = await startTestApp();
    const target = await cp.app.xds.listen('127.0.0.1:0');
    await applyYaml(cp.app, [dataplane('web', { outbound: 'redis' }), REDIS].join('---\n'));
    const { token } = (await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name: 'web' } })).json<{ token: string }>();
    let applies = 0;
    const client = new AdsClient({ target, node: { id: 'default.web' }, token, codec, backoff: { initialMs: 50, maxMs: 100 }, apply: async () => void applies++ });
    try {
      const version = cp.app.catalog.compiler.compile('default', 'web').version.versionInfo;
      await client.applied(version);
      expect(applies).toBe(1);
      const dataDir = cp.dataDir;
      await cp.close({ keepData: true });
      cp = await startTestApp({ dataDir });
      await cp.app.xds.listen(target);
      // The same content under the same version (the compiler's versions survive the restart).
      expect(cp.app.catalog.compiler.compile('default', 'web').version.versionInfo).toBe(version);
      await eventually(() => cp.app.dataplanes.statuses.get('default', 'web').configVersion === version, 'the ACK to the new control plane');
      expect(client.stats.connects).toBeGreaterThan(1);
      expect(applies).toBe(1);
    } finally {
      client.close();
      await cp.close();
    }
  }, 20_000);
});
