import { inCI } from '@meshcap/testkit';
import { parseResources, startDataplane, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgres, type TestPostgres } from '../store/test-postgres.ts';
import { AUTH, TEST_TOKEN } from '../test-support.ts';
import { attachToControlPlane, type DataplaneConnection } from '@meshcap/dataplane';
import { echoExchange as echo } from './echo-exchange.ts';

/**
 * Two real `meshcap cp` processes on one PostgreSQL database and a dataplane given both: the
 * replica it is connected to is killed, and it carries on with the other.
 */

const BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));

interface CpProcess {
  child: ChildProcess;
  url: string;
  socket: string;
  exited: Promise<number | null>;
  output: () => string;
}

/** Every process started, so that none outlives the test even when a start fails. */
const spawned: ChildProcess[] = [];

/** Starts `meshcap cp --store URL` and waits for its banner (bounded). */
function startCp(dir: string, storeUrl: string): Promise<CpProcess> {
  const socket = join(dir, 'cp.sock');
  const child = spawn(process.execPath, [BIN, 'cp', '--store', storeUrl, '--listen', '127.0.0.1:0', '--data-dir', dir, '--socket', socket, '--no-gui'], {
    env: { ...process.env, MESHCAP_TOKEN: TEST_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshcap cp did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      if (!out.includes('meshcap cp: ready')) return;
      clearTimeout(timer);
      resolve({ child, url: /API\s+(http:\/\/\S+)/.exec(out)![1]!, socket, exited, output: () => out });
    });
    void exited.then((code) => reject(new Error(`meshcap cp exited (${code}):\n${out}`)));
  });
}

async function stopCp(cp: CpProcess | undefined): Promise<void> {
  if (!cp || cp.child.exitCode !== null || cp.child.signalCode !== null) return;
  cp.child.kill('SIGTERM');
  const timer = setTimeout(() => cp.child.kill('SIGKILL'), 10_000);
  await cp.exited;
  clearTimeout(timer);
}

async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


interface DpView {
  connected: boolean;
  upToDate: boolean;
  configVersion: string | null;
  expectedVersion: string | null;
  controlPlane?: { self: boolean; replica?: string } | null;
}

const pg: TestPostgres = await testPostgres();

if (pg.ok) {
  describe('failover between control plane replicas on one PostgreSQL (real processes)', { timeout: 60_000 }, () => {
    const dirs: string[] = [];
    let a: CpProcess | undefined;
    let b: CpProcess | undefined;
    let app: net.Server | undefined;
    let handle: DataplaneHandle | undefined;
    let conn: DataplaneConnection | undefined;
    let api: DataplaneHandle | undefined;
    let apiConn: DataplaneConnection | undefined;
    let inboundPort: number;
    const view = (cp: CpProcess) => fetch(`${cp.url}/api/meshes/default/dataplanes/web`).then((r) => r.json() as Promise<DpView>);

    beforeAll(() => {
      for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), `meshcap-replica-${i}-`)));
      app = net.createServer((s) => s.pipe(s));
      return new Promise<void>((r) => app!.listen(0, '127.0.0.1', () => r()));
    });
    afterAll(async () => {
      await conn?.close({ flushMs: 0 });
      await apiConn?.close({ flushMs: 0 });
      await api?.stop({ drainMs: 0 });
      await handle?.stop({ drainMs: 0 });
      await new Promise((r) => app?.close(r));
      await stopCp(a);
      await stopCp(b);
      for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await pg.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('starts two replicas at the same moment on an empty database', async () => {
      [a, b] = await Promise.all([startCp(dirs[0]!, pg.url), startCp(dirs[1]!, pg.url)]);
      for (const cp of [a, b]) expect(cp.output()).not.toMatch(/duplicate key|error/i);
    });

    it('answers on B for a dataplane on A (its flows, stats, config_dump asked of A), says 503 REPLICA_UNREACHABLE naming A once A is killed, moves the dataplane to B with its config in force, and takes applies there', async () => {
      const appPort = (app!.address() as net.AddressInfo).port;
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
      inboundPort = (probe.address() as net.AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const dataplane = parseResources(
        `type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: ${inboundPort}\n      servicePort: ${appPort}\n      serviceAddress: 127.0.0.1\n      tags: { kuma.io/service: web }\n`,
      )[0] as unknown as Dataplane;
      handle = await startDataplane({ dataplane, admin: false });
      const issued = await fetch(`${a!.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'web' }) });
      const { token } = (await issued.json()) as { token: string };
      // A first: the dataplane tries the addresses in turn.
      conn = await attachToControlPlane(handle, { url: [`unix:${a!.socket}`, `unix:${b!.socket}`], token, dataplane, batchIntervalMs: 50, backoff: { initialMs: 50, maxMs: 500 } });
      await conn.waitConnected(10_000);
      const onA = await eventually(async () => {
        const v = await view(a!);
        return v.connected && v.upToDate ? v : undefined;
      }, 'the dataplane up to date on A', 10_000);
      expect(conn.stats().controlPlane).toBe(`unix:${a!.socket}`);
      expect(conn.ads.stats.target).toBe(`unix:${join(dirs[0]!, 'xds.sock')}`);
      expect(await echo(inboundPort, 'before')).toBe('before');

      // B answers for it: what only A has (its flows, what is read from the dataplane) is asked of A.
      const flowsOnB = await eventually(async () => {
        const r = await fetch(`${b!.url}/api/flows?mesh=default&dataplane=web`);
        const body = (await r.json()) as { items: Array<{ dataplane: string; id: string }> };
        return r.status === 200 && body.items.length > 0 ? { body, answeredBy: r.headers.get('x-meshcap-answered-by') } : undefined;
      }, "web's flows read through B", 10_000);
      expect(flowsOnB.answeredBy).toBe(onA.controlPlane?.replica);
      expect(flowsOnB.body.items.every((f) => f.dataplane === 'web')).toBe(true);
      const flowsOnA = (await (await fetch(`${a!.url}/api/flows?mesh=default&dataplane=web`)).json()) as { items: Array<{ id: string }> };
      expect(flowsOnB.body.items.map((f) => f.id)).toEqual(flowsOnA.items.slice(0, flowsOnB.body.items.length).map((f) => f.id));
      // The list of all flows on B (B holds none yet) is merged from A's.
      const allOnB = (await (await fetch(`${b!.url}/api/flows`)).json()) as { items: Array<{ id: string }> };
      expect(allOnB.items.map((f) => f.id)).toEqual(expect.arrayContaining(flowsOnB.body.items.map((f) => f.id)));
      // One flow by its id, and its diagram: B holds neither, asks every live replica, A has it.
      const flowId = flowsOnB.body.items[0]!.id;
      const oneOnB = await fetch(`${b!.url}/api/flows/${flowId}`);
      expect(oneOnB.status).toBe(200);
      expect(await oneOnB.json()).toEqual(await (await fetch(`${a!.url}/api/flows/${flowId}`)).json());
      const diagramOnB = await fetch(`${b!.url}/api/flows/${flowId}/diagram`);
      expect(diagramOnB.status).toBe(200);
      expect(((await diagramOnB.json()) as { mermaid: string }).mermaid).toContain('sequenceDiagram');
      const noneOnB = await fetch(`${b!.url}/api/flows/00000000-0000-4000-8000-000000000000`);
      expect(noneOnB.status).toBe(404);
      expect(((await noneOnB.json()) as { message: string }).message).toContain('no control plane replica has it');
      // The dataplane's page on B shows its live counters, read from A.
      const detailOnB = (await (await fetch(`${b!.url}/api/meshes/default/dataplanes/web`)).json()) as { statsAvailable: boolean; inbounds: Array<{ stats: Record<string, number> }> };
      expect(detailOnB.statsAvailable).toBe(true);
      expect(Object.keys(detailOnB.inbounds[0]!.stats).length).toBeGreaterThan(0);
      // The service's golden metrics on B (which holds none of its flows) count web's flows on A;
      // the dataplane's are asked of A.
      const serviceOnB = (await (await fetch(`${b!.url}/api/meshes/default/services/web/metrics`)).json()) as { totals: { requests: number } };
      expect(serviceOnB.totals.requests).toBeGreaterThan(0);
      const dpMetrics = await fetch(`${b!.url}/api/meshes/default/dataplanes/web/metrics`);
      expect(dpMetrics.headers.get('x-meshcap-answered-by')).toBe(onA.controlPlane?.replica);
      expect(((await dpMetrics.json()) as { totals: { requests: number } }).totals.requests).toBeGreaterThan(0);
      const stats = await fetch(`${b!.url}/api/meshes/default/dataplanes/web/stats`);
      expect(stats.status).toBe(200);
      expect(Object.keys(((await stats.json()) as { stats: Record<string, number> }).stats).length).toBeGreaterThan(0);
      const dump = await fetch(`${b!.url}/api/meshes/default/dataplanes/web/config_dump?source=dataplane`);
      expect(dump.status).toBe(200);
      expect(dump.headers.get('x-meshcap-answered-by')).toBe(onA.controlPlane?.replica);
      expect(JSON.stringify(await dump.json())).toContain('type.googleapis.com/envoy.admin.v3');

      // Its live flow stream too (replayed from the start, then live), as a stream.
      const abort = new AbortController();
      const stream = await fetch(`${b!.url}/api/flows/stream?mesh=default&dataplane=web&lastEventId=-1`, { signal: abort.signal });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      const reader = stream.body!.getReader();
      let events = '';
      while (!/event: flow\ndata: .*"dataplane":"web"/.test(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        events += new TextDecoder().decode(value);
      }
      abort.abort();
      expect(events).toMatch(/event: flow\ndata: .*"dataplane":"web"/);

      // B's stream of all flows (the dashboard's) carries A's live flows too: one made after it opened.
      const allAbort = new AbortController();
      const all = await fetch(`${b!.url}/api/flows/stream`, { signal: allAbort.signal });
      expect(all.status).toBe(200);
      const allReader = all.body!.getReader();
      const sent = `relayed-${Date.now()}`;
      let allEvents = '';
      const relayed = (async () => {
        while (!/event: flow\ndata: .*"dataplane":"web"/.test(allEvents)) {
          const { value, done } = await allReader.read();
          if (done) break;
          allEvents += new TextDecoder().decode(value);
        }
      })();
      // Until B follows A's stream (it looks at once), echo again: each echo is a new flow of web.
      await eventually(async () => {
        expect(await echo(inboundPort, sent)).toBe(sent);
        return /event: flow\ndata: .*"dataplane":"web"/.test(allEvents) || undefined;
      }, "a flow of web on A in B's stream of all flows", 10_000);
      allAbort.abort();
      await relayed.catch(() => undefined);
      // Relayed without an id: a client resumes from B's own ids only.
      const relayedEvent = /(id: \d+\n)?event: flow\ndata: .*"dataplane":"web"/.exec(allEvents)![0];
      expect(relayedEvent.startsWith('id:')).toBe(false);

      // A request already forwarded is answered where it arrives, never sent on (no loops).
      const notAgain = await fetch(`${b!.url}/api/meshes/default/dataplanes/web/stats`, { headers: { 'x-meshcap-forwarded-by': 'test' } });
      expect(notAgain.status).toBe(503);
      expect(((await notAgain.json()) as { code: string }).code).toBe('MESHCAP_ERR_DATAPLANE_UNAVAILABLE');

      // A second dataplane, given A only: when A is gone, B says so for it with a code naming A.
      const apiProbe = net.createServer();
      await new Promise<void>((r) => apiProbe.listen(0, '127.0.0.1', () => r()));
      const apiPort = (apiProbe.address() as net.AddressInfo).port;
      await new Promise((r) => apiProbe.close(r));
      const apiDataplane = parseResources(
        `type: Dataplane\nmesh: default\nname: api\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: ${apiPort}\n      servicePort: ${appPort}\n      serviceAddress: 127.0.0.1\n      tags: { kuma.io/service: api }\n`,
      )[0] as unknown as Dataplane;
      api = await startDataplane({ dataplane: apiDataplane, admin: false });
      const apiIssued = await fetch(`${a!.url}/api/tokens/dataplane`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'api' }) });
      apiConn = await attachToControlPlane(api, { url: [`unix:${a!.socket}`], token: ((await apiIssued.json()) as { token: string }).token, dataplane: apiDataplane, backoff: { initialMs: 50, maxMs: 500 } });
      await apiConn.waitConnected(10_000);
      await eventually(async () => (await fetch(`${b!.url}/api/meshes/default/dataplanes/api/stats`)).status === 200, 'api stats through B', 10_000);

      a!.child.kill('SIGKILL');
      const killedAt = Date.now();
      await a!.exited;
      const gone = await fetch(`${b!.url}/api/meshes/default/dataplanes/api/stats`);
      expect(gone.status).toBe(503);
      const goneBody = (await gone.json()) as { code: string; message: string };
      expect(goneBody.code).toBe('MESHCAP_ERR_REPLICA_UNREACHABLE');
      expect(goneBody.message).toContain(onA.controlPlane!.replica!);
      // A flow B does not hold: A might have it and does not answer, so B cannot say 404.
      const flowGone = await fetch(`${b!.url}/api/flows/${flowId}`);
      expect(flowGone.status).toBe(503);
      const flowGoneBody = (await flowGone.json()) as { code: string; message: string };
      expect(flowGoneBody.code).toBe('MESHCAP_ERR_REPLICA_UNREACHABLE');
      expect(flowGoneBody.message).toContain(onA.controlPlane!.replica!);
      // B shows it connected at once (to A, from the sessions the replicas share) until A's row goes stale: wait for it on B itself.
      const onB = await eventually(async () => {
        const v = await view(b!);
        return v.connected && v.controlPlane?.self ? v : undefined;
      }, 'the dataplane connected to B', 10_000);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      expect(conn.stats().controlPlane).toBe(`unix:${b!.socket}`);
      // Its config stayed in force, and B (same resources, shared counters) has the same version for it.
      expect(handle.version).toBe(onA.configVersion);
      expect(onB.expectedVersion).toBe(onA.configVersion);
      expect(await echo(inboundPort, 'after')).toBe('after');

      const policy = `type: MeshTimeout\nmesh: default\nname: web-timeouts\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n`;
      const applied = await fetch(`${b!.url}/api/resources`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/yaml' }, body: policy });
      expect(applied.status).toBe(200);
      const next = await eventually(async () => {
        const v = await view(b!);
        return v.upToDate && v.configVersion !== onA.configVersion ? v : undefined;
      }, 'the apply on B in force on the dataplane', 10_000);
      expect(handle.version).toBe(next.configVersion);
      expect(await echo(inboundPort, 'still')).toBe('still');
    });
  });
} else if (inCI()) {
  describe('failover between control plane replicas', () => {
    it('runs in CI', () => {
      throw new Error(`the failover test must run in CI, but: ${pg.reason}`);
    });
  });
} else {
  console.warn(`[meshcap api] skipping the failover test: ${pg.reason}`);
  describe.skip('failover between control plane replicas', () => it('needs PostgreSQL', () => {}));
}
