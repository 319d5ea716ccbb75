import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, HostProcess } from '@meshcap/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { components, paths } from '@meshcap/web/api-types';
import { api, describeDemo, eventually, gui, dashboardSession, screenshot } from './harness.ts';

const MESHCAP = fileURLToPath(new URL('../../apps/api/bin/meshcap.js', import.meta.url));
const GRPC = (file: string): string => fileURLToPath(new URL(`../../packages/core/src/proxy/http2/testing/${file}`, import.meta.url));

type Schemas = components['schemas'];
type DataplaneToken = paths['/api/tokens/dataplane']['post']['responses'][200]['content']['application/json'];

/** A Node child process whose stdout lines can be awaited (the test kit's HostProcess, outside any namespace). */
const start = (args: string[]): HostProcess => new HostProcess(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }), args[0]!);

/**
 * gRPC in the dashboard: a @grpc/grpc-js server and client (unary calls and a server stream) joined
 * by two dataplanes in explicit mode, connected to the demo's control plane like any other; their
 * calls appear as gRPC flows, one per call, with service/method and the grpc status by name.
 */
describeDemo('gRPC: a call is a flow with its service, method and grpc status', (demo) => {
  const session = dashboardSession(demo);
  const procs: HostProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-e2e-grpc-'));
    chmodSync(dir, 0o755);
    const appPort = await freePort();
    const inbound = await freePort();
    const outbound = await freePort();
    const app = start([GRPC('grpc-app.mjs'), '--host', '127.0.0.1', '--port', String(appPort)]);
    procs.push(app);
    await app.waitForLine(/"listening"/, 60_000);
    const dataplanes = {
      'grpc-echo': `type: Dataplane
mesh: default
name: grpc-echo
networking:
  address: 127.0.0.5
  inbound:
    - { port: ${inbound}, servicePort: ${appPort}, serviceAddress: 127.0.0.1, tags: { kuma.io/service: grpc-echo, kuma.io/protocol: grpc } }
  admin: { port: ${await freePort()} }
`,
      'grpc-caller': `type: Dataplane
mesh: default
name: grpc-caller
networking:
  address: 127.0.0.6
  inbound:
    - { port: ${await freePort()}, servicePort: ${await freePort()}, serviceAddress: 127.0.0.1, tags: { kuma.io/service: grpc-caller, kuma.io/protocol: grpc } }
  outbound:
    - { port: ${outbound}, tags: { kuma.io/service: grpc-echo } }
  admin: { port: ${await freePort()} }
`,
    };
    for (const [name, yaml] of Object.entries(dataplanes)) {
      const { token } = await api<DataplaneToken>(demo(), '/api/tokens/dataplane', { method: 'POST', body: { name } });
      writeFileSync(join(dir, `${name}.token`), token, { mode: 0o600 });
      writeFileSync(join(dir, `${name}.yaml`), yaml, { mode: 0o644 });
      const dp = start([MESHCAP, 'dp', '--dataplane-file', join(dir, `${name}.yaml`), '--cp', `unix:${demo().socket}`, '--dataplane-token-file', join(dir, `${name}.token`)]);
      procs.push(dp);
      await dp.waitForLine(/connected to the control plane as default\//, 60_000);
    }
    // Calls until the caller's outbound serves them (its config arrives over ADS just after connecting).
    await eventually('gRPC calls through both dataplanes', async () => {
      const probe = start([GRPC('grpc-probe.mjs'), '--target', `127.0.0.1:${outbound}`, '--calls', '5', '--items', '20']);
      const result = JSON.parse((await probe.waitForLine(/"result"/, 20_000)).trim()) as { replies: Array<{ echo?: string }>; items: number | string };
      return result.replies.every((r) => r.echo?.startsWith('call ')) && result.items === 20 ? true : undefined;
    }, 60_000, 1_000);
  });

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop('SIGTERM', 10_000);
    // The two dataplanes leave the mesh again (their flows stay in the control plane's buffer).
    for (const name of ['grpc-caller', 'grpc-echo']) await api(demo(), `/api/meshes/default/resources/Dataplane/${name}`, { method: 'DELETE' }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the flow table names each call service/method → status; the drawer shows the call and its stream', async () => {
    const flows = await eventually('the inbound gRPC flows of grpc-echo', async () => {
      const items = (await api<Schemas['FlowList']>(demo(), '/api/flows?dataplane=grpc-echo&limit=100')).items.filter((f) => f.direction === 'inbound' && f.http?.grpc);
      return items.some((f) => f.http?.grpc?.method === 'Unary') && items.some((f) => f.http?.grpc?.method === 'List') ? items : undefined;
    });
    const unary = flows.find((f) => f.http?.grpc?.method === 'Unary')!;
    expect(unary.http).toMatchObject({ path: '/test.Echo/Unary', version: 'HTTP/2', grpc: { service: 'test.Echo', method: 'Unary', status: 0 } });

    const { page } = session();
    await page.goto(gui(demo(), '/flows?dataplane=grpc-echo'));
    const table = page.getByRole('table', { name: 'Flows' });
    await table.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    const rows = table.getByRole('row').filter({ hasText: 'gRPC test.Echo/Unary → OK' });
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => table.getByRole('row').filter({ hasText: 'gRPC test.Echo/List → OK' }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, 'flows-grpc');

    await page.goto(gui(demo(), `/flows?flow=${encodeURIComponent(unary.id)}`));
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    await drawer.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await drawer.textContent()) ?? '', { timeout: 20_000 }).toContain('gRPC call');
    const text = (await drawer.textContent()) ?? '';
    expect(text).toMatch(/Service\s*test\.Echo/);
    expect(text).toMatch(/Method\s*Unary/);
    expect(text).toMatch(/grpc-status\s*OK/);
    expect(text).toContain('HTTP/2');
    // The per-flow sequence diagram shows the stream: the call, HTTP/2, and the grpc-status from its trailers.
    const svg = drawer.locator('svg[aria-roledescription="sequence"]').first();
    await svg.waitFor({ timeout: 30_000 });
    const diagram = (await svg.textContent()) ?? '';
    expect(diagram).toContain('gRPC test.Echo/Unary');
    expect(diagram).toContain('HTTP/2 stream');
    expect(diagram).toContain('grpc-status OK (0)');
    await screenshot(page, 'flow-detail-grpc');
  });
});
