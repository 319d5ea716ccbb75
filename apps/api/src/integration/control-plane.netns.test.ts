import { installTransparentProxy, parseTransparentProxyConfig, type FlowRecord } from '@meshcap/core';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectSse, type SseEvent } from '../test-support.ts';
import { api, BACKEND_INBOUND, cpDir, curl, transparentDataplaneYaml, eventually, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * The whole control plane with real processes: `meshcap cp` in the root namespace, and two
 * `meshcap dp` (started as root next to the default `install transparent-proxy`) in their own
 * network namespaces, connected to it over its Unix socket.
 */

const WEB = '198.18.6.1';
const BACKEND = '198.18.6.2';

const where = cpDir('meshcap-cp-netns-');
const { dir } = where;

interface DpView {
  name: string;
  connected: boolean;
  configVersion: string | null;
  expectedVersion: string | null;
  upToDate: boolean;
  totalUpdates: number;
}

const counter = (d: DpView) => Number(d.configVersion?.split('-')[0]);

describeNetns('control plane with two dataplanes in network namespaces', () => {
  let lab: Lab;
  let web: Host;
  let backend: Host;
  let cp: Cp;
  const dps: HostProcess[] = [];

  const dataplanes = async () => Object.fromEntries((await api<{ items: DpView[] }>(cp, '/api/meshes/default/dataplanes')).items.map((d) => [d.name, d])) as Record<string, DpView>;
  const bothUpToDate = async () => {
    const d = await dataplanes();
    return d.web?.upToDate && d.backend?.upToDate ? d : undefined;
  };

  beforeAll(async () => {
    cp = await startCp(where);
    lab = Lab.create('cp-int');
    web = await lab.host('web');
    backend = await lab.host('backend');
    await lab.link(web, backend, { a: [`${WEB}/24`], b: [`${BACKEND}/24`] });
    for (const h of [web, backend]) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
    const app = backend.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(5000,()=>console.log('listening'))`]);
    await app.waitForLine(/listening/);
    dps.push(
      ...(await startDataplanes(cp, where, [
        { name: 'web', host: web, yaml: transparentDataplaneYaml({ name: 'web', address: WEB }) },
        { name: 'backend', host: backend, yaml: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: BACKEND_INBOUND }) },
      ])),
    );
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers both dataplanes; each gets its config version and ACKs it', async () => {
    const d = await eventually(bothUpToDate, 'both first ACKs');
    // (web's config names backend's endpoints, so it may have had a second version when backend registered.)
    expect(d.web).toMatchObject({ connected: true, configVersion: expect.stringMatching(/^[12]-/) });
    expect(d.backend).toMatchObject({ connected: true, configVersion: expect.stringMatching(/^1-/) });
  }, 30_000);

  it('applying a policy gives both a new version, and both ACK it', async () => {
    const before = await dataplanes();
    const policy = `type: MeshTimeout\nmesh: default\nname: timeouts\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n`;
    await api(cp, '/api/resources', { method: 'POST', body: policy, type: 'application/yaml' });
    const after = await eventually(async () => {
      const d = await bothUpToDate();
      return d && d.web!.configVersion !== before.web!.configVersion && d.backend!.configVersion !== before.backend!.configVersion ? d : undefined;
    }, 'both ACKs of the new version');
    expect(counter(after.web!)).toBe(counter(before.web!) + 1);
    expect(counter(after.backend!)).toBe(counter(before.backend!) + 1);
  });

  it('toggling the policy off for one dataplane changes only that one', async () => {
    const before = await dataplanes();
    await api(cp, '/api/meshes/default/dataplanes/web/policies/MeshTimeout/timeouts', { method: 'PUT', body: JSON.stringify({ enabled: false }) });
    const after = await eventually(async () => {
      const d = await bothUpToDate();
      return d && d.web!.configVersion !== before.web!.configVersion ? d : undefined;
    }, "web's ACK of its toggled version");
    expect(counter(after.web!)).toBe(counter(before.web!) + 1);
    expect(after.backend!.configVersion).toBe(before.backend!.configVersion);
  });

  it('streams the flows of both dataplanes on /api/flows/stream', async () => {
    const flowsOf = (events: SseEvent[]) => new Map(events.filter((e) => e.event === 'flow').map((e) => [(e.data as FlowRecord).dataplane, e.data as FlowRecord]));
    const stream = collectSse(`${cp.url}/api/flows/stream?mesh=default`, (events) => flowsOf(events).size >= 2, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
    const { events, close } = await stream;
    close();
    const seen = flowsOf(events);
    expect(seen.get('web')).toMatchObject({ direction: 'outbound', capture: 'redirect', destination: { address: BACKEND, port: 5000 } });
    expect(seen.get('backend')).toMatchObject({ direction: 'inbound', capture: 'redirect', listener: `inbound:${BACKEND}:5000` });
  });

  it("shows the running dataplane's clusters: backend's inbound cluster with its endpoint, healthy, and the circuit breakers in force", async () => {
    expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
    type Cluster = { name: string; kind: string; endpoints: { address: string; port: number; healthFlags: string; rqTotal: number }[]; limits: Record<string, number> };
    const { items } = await api<{ items: Cluster[] }>(cp, '/api/meshes/default/dataplanes/backend/clusters');
    const local = items.find((c) => c.name === 'localhost:5000')!;
    expect(local).toMatchObject({ kind: 'static', endpoints: [{ address: '127.0.0.1', port: 5000, healthFlags: 'healthy' }], limits: { maxConnections: 1024, maxRequests: 1024 } });
    expect(local.endpoints[0]!.rqTotal).toBeGreaterThan(0);
    expect(items.find((c) => c.name === 'inbound:passthrough:ipv4')).toMatchObject({ kind: 'original_dst', endpoints: [] });
  });

  it("reads the capture rules of a dataplane's namespace with their counters, and traces a packet through them", async () => {
    expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
    type Rule = { text: string; ours: boolean; counters?: { packets: number } };
    const { ruleset } = await api<{ ruleset: { tables: Array<{ name: string; chains: Array<{ name: string; rules: Rule[] }> }> } }>(cp, '/api/meshes/default/dataplanes/web/rules');
    const redirects = ruleset.tables
      .filter((t) => t.name === 'nat')
      .flatMap((t) => t.chains.filter((c) => c.name === 'KUMA_MESH_OUTBOUND_REDIRECT').flatMap((c) => c.rules));
    expect(redirects.length).toBeGreaterThan(0);
    expect(redirects.every((r) => r.ours)).toBe(true);
    // The request above (and the earlier ones) went through web's outbound REDIRECT rule.
    expect(Math.max(...redirects.map((r) => r.counters?.packets ?? 0))).toBeGreaterThan(0);

    const trace = (body: object) => api<{ verdict: { kind: string; port?: number } }>(cp, '/api/meshes/default/dataplanes/web/trace', { method: 'POST', body: JSON.stringify(body) });
    const app = await trace({ direction: 'outbound', src: WEB, dst: BACKEND, dstPort: 5000, proto: 'tcp', uid: 0 });
    expect(app.verdict).toMatchObject({ kind: 'captured', port: 15001 });
    const proxy = await trace({ direction: 'outbound', src: WEB, dst: BACKEND, dstPort: 5000, proto: 'tcp', uid: 5678 });
    // The proxy user's own connection is left alone (the loop guard of the default rules).
    expect(proxy.verdict).toMatchObject({ kind: 'accepted', address: BACKEND, port: 5000 });
  });

  it('with the control plane gone, traffic still flows; the flows are buffered and delivered after it restarts', async () => {
    const running = await dataplanes();
    cp.child.kill('SIGKILL');
    await cp.exited;
    const down = Date.now();
    const N = 5;
    for (let i = 0; i < N; i++) expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
    cp = await startCp(where);
    // A fresh control plane process: it holds only flows delivered after its start.
    const flows = await eventually(async () => {
      const list = await api<{ items: FlowRecord[]; dropped: number }>(cp, `/api/flows?since=${down}&limit=1000`);
      const count = (name: string) => list.items.filter((f) => f.dataplane === name).length;
      return count('web') >= N && count('backend') >= N ? list : undefined;
    }, 'the buffered flows of both dataplanes');
    expect(flows.items.filter((f) => f.dataplane === 'web')).toHaveLength(N);
    expect(flows.items.filter((f) => f.dataplane === 'backend')).toHaveLength(N);
    expect(flows.dropped).toBe(0);
    const d = await eventually(bothUpToDate, 'reconnection');
    // They kept running their last config; the restarted control plane compiles the same content
    // under the same versions (toggle included), so nothing new is pushed.
    expect(d.web!.configVersion).toBe(running.web!.configVersion);
    expect(d.backend!.configVersion).toBe(running.backend!.configVersion);
    expect(d.web).toMatchObject({ totalUpdates: 0 });
  });
});
