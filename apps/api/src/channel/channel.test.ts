import { freePort } from '@meshcap/testkit';
import { parseResources, startDataplane, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '../control-plane/index.ts';
import { AUTH, TEST_TOKEN } from '../test-support.ts';
import { connectControlPlane, attachToControlPlane, type DataplaneConnection, engineFromHandle } from '@meshcap/dataplane';
import { echoExchange as echo } from './echo-exchange.ts';

/** Polls `check` until it returns a value (bounded). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


function dataplaneYaml(name: string, inboundPort: number, appPort: number): string {
  return `type: Dataplane
mesh: default
name: ${name}
networking:
  address: 127.0.0.1
  inbound:
    - port: ${inboundPort}
      servicePort: ${appPort}
      serviceAddress: 127.0.0.1
      tags: { kuma.io/service: ${name} }
`;
}

describe('dataplane channel with a real engine (explicit mode, loopback)', () => {
  let dir: string;
  let cp: RunningControlPlane;
  let app: net.Server;
  let appPort: number;
  let inboundPort: number;
  let dataplane: Dataplane;
  let handle: DataplaneHandle;
  let conn: DataplaneConnection;
  let token: string;

  async function startCp(): Promise<RunningControlPlane> {
    return startControlPlane({ dataDir: dir, listen: '127.0.0.1:0', socket: join(dir, 'cp.sock'), adminToken: TEST_TOKEN, gui: false, heartbeatMs: 1_000 });
  }
  const api = (url: string) => fetch(`${cp.url}${url}`).then((r) => r.json());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-channel-'));
    cp = await startCp();
    app = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    appPort = (app.address() as net.AddressInfo).port;
    inboundPort = await freePort();
    dataplane = parseResources(dataplaneYaml('web', inboundPort, appPort))[0] as unknown as Dataplane;
    handle = await startDataplane({ dataplane, admin: false });
    const res = await fetch(`${cp.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'web' }) });
    token = ((await res.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await conn?.close({ flushMs: 0 });
    await handle?.stop({ drainMs: 0 });
    await new Promise((r) => app?.close(r));
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers over the Unix socket, gets a config version over ADS (xds.sock beside it) and ACKs it', async () => {
    conn = await attachToControlPlane(handle, { url: `unix:${join(dir, 'cp.sock')}`, token, dataplane, batchIntervalMs: 50, backoff: { initialMs: 50, maxMs: 500 } });
    await conn.waitConnected(10_000);
    const dp = await eventually(async () => {
      const d = (await api('/api/meshes/default/dataplanes/web')) as { upToDate: boolean; configVersion: string; expectedVersion: string };
      return d.upToDate ? d : undefined;
    }, 'the first ACK');
    expect(dp).toMatchObject({ connected: true, status: 'online', captureMode: 'explicit', totalUpdates: 1, errors: [], configSource: 'xds', xdsStreams: 1 });
    expect(handle.version).toBe(dp.configVersion);
    expect(dp.configVersion).toMatch(/^1-[0-9a-f]{12}$/);
  });

  it("the dataplane's /config_dump is what the control plane sent (its listeners, clusters and routes, modulo stamps)", async () => {
    type Dump = { configs: Array<Record<string, unknown> & { '@type': string }> };
    const resources = (d: Dump): unknown =>
      JSON.parse(JSON.stringify(d.configs.filter((c) => !c['@type'].endsWith('BootstrapConfigDump'))), (k, v: unknown) => (k === 'last_updated' ? undefined : v));
    const sent = (await api('/api/meshes/default/dataplanes/web/config_dump?include_eds=true')) as Dump;
    const running = (await api('/api/meshes/default/dataplanes/web/config_dump?source=dataplane&include_eds=true')) as Dump;
    expect(resources(running)).toEqual(resources(sent));
    expect(JSON.stringify(running)).toContain('ClusterLoadAssignment');
  });

  it('pushes a new version when a policy that matches it is applied, and the dataplane ACKs it', async () => {
    const before = (await api('/api/meshes/default/dataplanes/web')) as { configVersion: string };
    const policy = `type: MeshTimeout\nmesh: default\nname: web-timeouts\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n`;
    const res = await fetch(`${cp.url}/api/resources`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/yaml' }, body: policy });
    expect(res.status).toBe(200);
    const after = await eventually(async () => {
      const d = (await api('/api/meshes/default/dataplanes/web')) as { configVersion: string; upToDate: boolean };
      return d.upToDate && d.configVersion !== before.configVersion ? d : undefined;
    }, 'the ACK of the new version');
    expect(after.configVersion).toMatch(/^2-/);
    expect(handle.version).toBe(after.configVersion);
  });

  it('streams flows of real traffic to the control plane', async () => {
    expect(await echo(inboundPort, 'hello through meshcap')).toBe('hello through meshcap');
    const flows = await eventually(async () => {
      const list = (await api('/api/flows?dataplane=web')) as { items: Array<{ id: string; direction: string; capture: string; dataplane: string }> };
      return list.items.length ? list.items : undefined;
    }, 'the flow');
    expect(flows[0]).toMatchObject({ dataplane: 'web', direction: 'inbound', capture: 'explicit' });
    const one = await api(`/api/flows/${flows[0]!.id}`);
    expect(one).toMatchObject({ id: flows[0]!.id });
    const diagram = (await api(`/api/flows/${flows[0]!.id}/diagram`)) as { mermaid: string };
    expect(diagram.mermaid).toMatch(/^sequenceDiagram/);
  });

  it('answers live requests: counters on the dataplane page', async () => {
    const dp = (await api('/api/meshes/default/dataplanes/web')) as { statsAvailable: boolean; inbounds: Array<{ stats: Record<string, number> }> };
    expect(dp.statsAvailable).toBe(true);
    expect(dp.inbounds[0]!.stats.downstream_cx_total).toBeGreaterThanOrEqual(1);
  });

  it('NACKs a config the engine cannot run, keeps the last good one and shows the error', async () => {
    const good = (await api('/api/meshes/default/dataplanes/web')) as { configVersion: string };
    // An inbound on a port something else holds: the listener cannot open.
    const taken = app.address() as net.AddressInfo;
    const res = await fetch(`${cp.url}/api/resources`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/yaml' }, body: dataplaneYaml('web', taken.port, appPort) });
    expect(res.status).toBe(200);
    const refused = await eventually(async () => {
      const d = (await api('/api/meshes/default/dataplanes/web')) as { errors: Array<{ message: string; version?: string }>; configVersion: string };
      return d.errors.length ? d : undefined;
    }, 'the NACK');
    expect(refused.configVersion).toBe(good.configVersion);
    expect(refused.errors[0]!.message).toContain('refused');
    expect(handle.version).toBe(good.configVersion);
    // Still serving with the last good config.
    expect(await echo(inboundPort, 'still here')).toBe('still here');
    expect(conn.ads.stats.nacks).toBeGreaterThanOrEqual(1);
    // Put it back so the rest runs on a good config.
    await fetch(`${cp.url}/api/resources`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/yaml' }, body: dataplaneYaml('web', inboundPort, appPort) });
    await eventually(async () => ((await api('/api/meshes/default/dataplanes/web')) as { upToDate: boolean }).upToDate || undefined, 'the good config again');
  });

  it('refuses a wrong token and a token of another dataplane', async () => {
    const wrong = connectControlPlane({ url: cp.url, token: 'mcdp_0000000000000000_' + 'A'.repeat(43), dataplane: dataplane as unknown as Record<string, unknown>, engine: engineFromHandle(handle), backoff: { initialMs: 50, maxMs: 100 } });
    await eventually(() => (wrong.stats().lastError?.includes('MESHCAP_ERR_UNAUTHORIZED') ? true : undefined), 'the 401');
    await wrong.close({ flushMs: 0 });
    const other = (await (await fetch(`${cp.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'api' }) })).json()) as { token: string };
    const imposter = connectControlPlane({ url: cp.url, token: other.token, dataplane: dataplane as unknown as Record<string, unknown>, engine: engineFromHandle(handle), backoff: { initialMs: 50, maxMs: 100 } });
    await eventually(() => (imposter.stats().lastError?.includes('cannot act as "web"') ? true : undefined), 'the identity refusal');
    await imposter.close({ flushMs: 0 });
    expect(((await api('/api/meshes/default/dataplanes/web')) as { connected: boolean }).connected).toBe(true);
  });

  it('cuts a connected dataplane off when its token is revoked, and refuses it after that', async () => {
    const revPort = await freePort();
    const revDataplane = parseResources(dataplaneYaml('rev', revPort, appPort))[0] as unknown as Dataplane;
    const revHandle = await startDataplane({ dataplane: revDataplane, admin: false });
    const issued = (await (await fetch(`${cp.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'rev' }) })).json()) as { token: string; id: string };
    const rev = connectControlPlane({ url: cp.url, token: issued.token, dataplane: revDataplane as unknown as Record<string, unknown>, engine: engineFromHandle(revHandle), backoff: { initialMs: 50, maxMs: 100 } });
    try {
      await rev.waitConnected(10_000);
      const res = await fetch(`${cp.url}/api/tokens/${issued.id}`, { method: 'DELETE', headers: AUTH });
      expect(res.status).toBe(200);
      await eventually(() => (rev.stats().lastError?.includes('MESHCAP_ERR_UNAUTHORIZED') ? true : undefined), 'the revoked token refused');
      expect(((await api('/api/meshes/default/dataplanes/rev')) as { connected: boolean }).connected).toBe(false);
      expect(((await api('/api/meshes/default/dataplanes/web')) as { connected: boolean }).connected).toBe(true);
    } finally {
      await rev.close({ flushMs: 0 });
      await revHandle.stop({ drainMs: 0 });
    }
  });

  it('keeps serving while the control plane is away, buffers flows, and delivers them after it is back', async () => {
    const before = ((await api('/api/flows?dataplane=web&limit=10000')) as { items: unknown[] }).items.length;
    await cp.close();
    await eventually(() => (!conn.stats().connected ? true : undefined), 'the disconnect');
    for (let i = 0; i < 5; i++) expect(await echo(inboundPort, `offline ${i}`)).toBe(`offline ${i}`);
    // A connection's flow is published when the relay reports its close, just after the echo came back.
    await eventually(() => (conn.stats().flowsBuffered >= 5 ? true : undefined), 'the 5 flows buffered');
    cp = await startCp();
    await conn.waitConnected(15_000);
    // A fresh control plane holds only what was delivered after the restart: the 5 buffered flows.
    const delivered = await eventually(async () => {
      const list = (await api('/api/flows?dataplane=web&limit=10000')) as { items: Array<{ id: string }>; dropped: number };
      return list.items.length >= 5 ? list : undefined;
    }, 'the buffered flows');
    expect(delivered.items).toHaveLength(5);
    expect(delivered.dropped).toBe(0);
    expect(before).toBeGreaterThan(0);
    expect(conn.stats().flowsBuffered).toBe(0);
    // The ADS stream reconnects on its own: the new control plane hears the version it runs.
    const dp = await eventually(async () => {
      const d = (await api('/api/meshes/default/dataplanes/web')) as { connected: boolean; configVersion: string | null };
      return d.configVersion ? d : undefined;
    }, 'the ACK to the new control plane');
    expect(dp.connected).toBe(true);
    expect(dp.configVersion).toBe(handle.version);
  });

  it('bounds what it buffers while the control plane is away, and reports what it had to drop', async () => {
    const apiPort = await freePort();
    const apiDataplane = parseResources(dataplaneYaml('api', apiPort, appPort))[0] as unknown as Dataplane;
    const apiHandle = await startDataplane({ dataplane: apiDataplane, admin: false });
    const issued = (await (await fetch(`${cp.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'api' }) })).json()) as { token: string };
    const small = connectControlPlane({ url: `unix:${join(dir, 'cp.sock')}`, token: issued.token, dataplane: apiDataplane as unknown as Record<string, unknown>, engine: engineFromHandle(apiHandle), bufferSize: 3, batchIntervalMs: 50 });
    try {
      await small.waitConnected(10_000);
      await cp.close();
      await eventually(() => (!small.stats().connected ? true : undefined), 'the disconnect');
      for (let i = 0; i < 5; i++) expect(await echo(apiPort, `x${i}`)).toBe(`x${i}`);
      await eventually(() => (small.stats().flowsDropped === 2 ? true : undefined), 'the 2 flows dropped');
      expect(small.stats()).toMatchObject({ flowsBuffered: 3, flowsDropped: 2 });
      cp = await startCp();
      const list = await eventually(async () => {
        const l = (await api('/api/flows?dataplane=api')) as { items: unknown[]; drops: { dataplanes: number } };
        return l.items.length === 3 && l.drops.dataplanes === 2 ? l : undefined;
      }, 'the 3 kept flows and the 2 dropped, counted');
      expect(list.items).toHaveLength(3);
      const metrics = await (await fetch(`${cp.url}/metrics`)).text();
      expect(metrics).toContain('meshcap_cp_flows_dropped_total{where="dataplane",mesh="default",dataplane="api"} 2');
    } finally {
      await small.close({ flushMs: 0 });
      await apiHandle.stop({ drainMs: 0 });
    }
  });
});
