import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, HostProcess, inCI } from '@meshcap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgres, type TestPostgres } from '../../apps/api/src/store/test-postgres.ts';
import { eventually, openDashboardAt, screenshot, type Session } from './harness.ts';

/**
 * Two real `meshcap cp` replicas on one PostgreSQL database (Debian's, started by the test kit),
 * a dataplane connected to each, and the dashboard served by B in Debian's Chromium: every
 * dataplane is listed with the replica holding it, and a dataplane held by A opened from B's
 * dashboard shows its live data (counters, listeners, flows arriving, a flow's diagram) — each
 * read by B from A. The dataplanes are explicit (no capture), so they need no namespace.
 */

const BIN = fileURLToPath(new URL('../../apps/api/bin/meshcap.js', import.meta.url));
const TOKEN = 'e2e-replicas-admin-token-0123456789';

/** Every process this file starts, so that none outlives it even when a start fails. */
const procs: HostProcess[] = [];

/** `meshcap <args>` as a child of this test. */
function meshcap(args: string[]): HostProcess {
  const proc = new HostProcess(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MESHCAP_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] }), `meshcap ${args[0]}`);
  procs.push(proc);
  return proc;
}

interface Cp {
  proc: HostProcess;
  url: string;
  socket: string;
}

async function startCp(dir: string, store: string, gui: boolean): Promise<Cp> {
  const socket = join(dir, 'cp.sock');
  const proc = meshcap(['cp', '--store', store, '--listen', '127.0.0.1:0', '--data-dir', dir, '--socket', socket, ...(gui ? [] : ['--no-gui'])]);
  await proc.waitForLine(/meshcap cp: ready/, 60_000);
  const url = /API\s+(http:\/\/\S+)/.exec(await proc.waitForLine(/API\s+http:/))![1]!;
  if (gui) expect(await proc.waitForLine(/meshcap cp: dashboard/)).toContain(`${url}/gui`);
  return { proc, url, socket };
}

async function api<T>(cp: Cp, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${cp.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface DpRow {
  name: string;
  connected: boolean;
  controlPlane?: { replica: string; url: string; self: boolean } | null;
}

const pg: TestPostgres = await testPostgres();

if (pg.ok) {
  describe('replicas: the dashboard served by replica B', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-e2e-replicas-'));
    let a: Cp;
    let b: Cp;
    let app: http.Server;
    /** The inbound port of each dataplane (its listener is inbound:127.0.0.1:<port>). */
    const inbound: Record<'web-a' | 'web-b', number> = { 'web-a': 0, 'web-b': 0 };
    let traffic: NodeJS.Timeout | undefined;
    let sent = 0;
    let session: Session | undefined;
    let replicaA = '';
    let replicaB = '';

    beforeAll(async () => {
      app = http.createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
      const appPort = (app.address() as AddressInfo).port;
      // As a Deployment starts them: together, on an empty database; only B serves the dashboard.
      [a, b] = await Promise.all([startCp(mkdtempSync(join(dir, 'a-')), pg.url, false), startCp(mkdtempSync(join(dir, 'b-')), pg.url, true)]);
      // A dataplane on each replica, registered from its file with a token issued by A (tokens are shared).
      for (const [name, cp] of [
        ['web-a', a],
        ['web-b', b],
      ] as const) {
        inbound[name] = await freePort();
        const file = join(dir, `${name}.yaml`);
        writeFileSync(
          file,
          `type: Dataplane\nmesh: default\nname: ${name}\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: ${inbound[name]}\n      servicePort: ${appPort}\n      serviceAddress: 127.0.0.1\n      tags: { kuma.io/service: ${name}, kuma.io/protocol: http }\n`,
        );
        const { token } = await api<{ token: string }>(a, '/api/tokens/dataplane', { method: 'POST', body: { name } });
        const tokenFile = join(dir, `${name}.token`);
        writeFileSync(tokenFile, token, { mode: 0o600 });
        const dp = meshcap(['dp', '--dataplane-file', file, '--cp', `unix:${cp.socket}`, '--dataplane-token-file', tokenFile, '--admin-port', '0']);
        await dp.waitForLine(new RegExp(`connected to the control plane as default/${name}`), 60_000);
      }
      // Steady traffic through both (bounded: 5 requests a second each, 3,000 at most).
      traffic = setInterval(() => {
        if (sent >= 3_000) return clearInterval(traffic);
        for (const port of Object.values(inbound)) {
          sent++;
          void fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text()).catch(() => undefined);
        }
      }, 200);
      // Who holds whom, as each replica says of itself.
      replicaA = (await eventually('web-a held by A', async () => (await api<DpRow>(a, '/api/meshes/default/dataplanes/web-a')).controlPlane?.replica, 20_000, 200))!;
      replicaB = (await eventually('web-b held by B', async () => (await api<DpRow>(b, '/api/meshes/default/dataplanes/web-b')).controlPlane?.replica, 20_000, 200))!;
      session = await openDashboardAt(`${b.url}/gui/`, TOKEN);
    });

    afterAll(async () => {
      clearInterval(traffic);
      await session?.close();
      // Dataplanes first, then the replicas (B stops its dashboard server with it).
      for (const p of procs.filter((p) => p.description === 'meshcap dp')) await p.stop();
      for (const p of procs) await p.stop('SIGTERM', 10_000);
      await new Promise((r) => app?.close(r));
      await pg.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("B's dataplanes page lists every dataplane, connected, each with the replica that holds it", async () => {
      expect(replicaA).not.toBe(replicaB);
      const page = session!.page;
      await page.goto(`${b.url}/gui/meshes/default/dataplanes`);
      const table = page.getByRole('table', { name: 'Dataplanes' });
      const row = (name: string) => table.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
      for (const [name, replica, self] of [
        ['web-a', replicaA, false],
        ['web-b', replicaB, true],
      ] as const) {
        await expect.poll(() => row(name).getByRole('status', { name: 'connected' }).count(), { timeout: 20_000, message: `${name} connected` }).toBe(1);
        const label = `Control plane replica ${replica}${self ? ' (this replica)' : ''}`;
        await expect.poll(() => row(name).getByLabel(label, { exact: true }).count(), { timeout: 20_000, message: `${name} on ${replica}` }).toBe(1);
      }
      await screenshot(page, 'replicas-dataplanes');
    });

    it("a dataplane held by A, opened from B's dashboard, shows its live counters, listeners and flows, and a flow's diagram", async () => {
      const page = session!.page;
      const listener = `inbound:127.0.0.1:${inbound['web-a']}`;
      await page.getByRole('table', { name: 'Dataplanes' }).getByRole('link', { name: 'web-a', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'web-a' }).waitFor();
      // Overview: the replica it is on, and its inbound's live counters (read by B from A).
      await page.getByLabel(`Control plane replica ${replicaA}`, { exact: true }).waitFor();
      const card = page.getByRole('article', { name: listener });
      await card.waitFor();
      await expect.poll(async () => (await card.textContent()) ?? '', { timeout: 20_000, message: 'live counters of web-a on B' }).toContain('downstream_cx_total');

      await page.getByRole('tab', { name: 'Listeners' }).click();
      const listeners = page.getByRole('table', { name: 'Listeners' });
      await expect.poll(() => listeners.getByRole('rowheader', { name: new RegExp(`^${listener.replace(/[.:]/g, '\\$&')}\\b`) }).count(), { timeout: 20_000 }).toBe(1);

      await page.getByRole('tab', { name: 'Flows' }).click();
      await page.getByRole('status', { name: 'Stream: Live' }).waitFor({ timeout: 30_000 });
      const flows = page.getByRole('table', { name: 'Flows of web-a' });
      await flows.waitFor({ timeout: 30_000 });
      const firstRow = () => flows.getByRole('row').nth(1);
      const firstText = await firstRow().textContent();
      // New flows of web-a keep arriving on B's page: A's live stream, relayed by B.
      await expect.poll(() => firstRow().textContent(), { timeout: 20_000, message: 'a new flow of web-a at the top' }).not.toBe(firstText);
      expect(await firstRow().textContent()).toContain('GET /hello');

      await page.getByRole('button', { name: 'Pause' }).click();
      await firstRow().click();
      const drawer = page.getByRole('dialog', { name: 'Flow details' });
      await drawer.waitFor();
      // The diagram is fetched by the flow's id: B does not hold it and asks the other replicas.
      const svg = drawer.getByRole('figure', { name: 'Flow sequence diagram' }).locator('svg').first();
      await svg.waitFor({ timeout: 30_000 });
      expect((await svg.textContent()) ?? '').toContain('/hello');
      await screenshot(page, 'replicas-flow-of-a-on-b');
      await drawer.getByRole('button', { name: 'Close' }).click();
      await page.getByRole('button', { name: 'Resume' }).click();
    });
  });
} else if (inCI()) {
  describe('replicas: the dashboard served by replica B', () => {
    it('runs in CI', () => {
      throw new Error(`the replica e2e test must run in CI, but: ${pg.reason}`);
    });
  });
} else {
  console.warn(`[meshcap e2e] skipping the replica dashboard test: ${pg.reason}`);
  describe.skip('replicas: the dashboard served by replica B', () => it('needs PostgreSQL', () => {}));
}
