import type { Page } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, clockOf, dataplanePath, describeDemo, gui, dashboardSession, screenshot, shownFlows, type DemoInfo, type ShownFlow } from './harness.ts';

/** The demo's MeshFaultInjection: a 300 ms delay on half of the requests at every inbound. */
const POLICY = 'MeshFaultInjection demo-delay';
const DELAY_MS = 300;
/**
 * Flows counted after a change start this long after the dataplane ACKed it: a keep-alive
 * connection opened under the old config may carry one more request while it is drained (as
 * Envoy drains listeners on an update), and none later.
 */
const SETTLE_MS = 1_500;

type DataplaneSummary = components['schemas']['DataplaneDetail'];

async function versionOf(demo: DemoInfo, name: string): Promise<DataplaneSummary> {
  return api<DataplaneSummary>(demo, `/api/meshes/default/dataplanes/${name}`);
}

/**
 * Waits (bounded) for `count` inbound HTTP flows of `name` that started at or after `since` (as the
 * dashboard shows them on the dataplane's Flows tab, filtered to inbound) and returns them.
 */
async function inboundFlowsSince(page: Page, demo: DemoInfo, name: string, since: number, count: number, request: RegExp): Promise<ShownFlow[]> {
  await page.goto(gui(demo, dataplanePath(name, 'flows')));
  await page.getByRole('combobox', { name: 'Direction' }).selectOption('inbound');
  const sinceText = clockOf(since);
  const deadline = Date.now() + 45_000;
  let seen: ShownFlow[] = [];
  while (Date.now() < deadline) {
    seen = (await shownFlows(page, `Flows of ${name}`)).filter((f) => f.time >= sinceText && request.test(f.request));
    if (seen.length >= count) return seen.slice(0, count);
    await page.waitForTimeout(1_000);
  }
  throw new Error(`only ${seen.length} of ${count} inbound flows of ${name} since ${sinceText} showed up`);
}

/** Flips the policy's switch on the dataplane's Policies tab; returns the config version it reports. */
async function flip(page: Page, demo: DemoInfo, name: string, to: boolean): Promise<string> {
  await page.goto(gui(demo, dataplanePath(name, 'policies')));
  const toggle = page.getByRole('switch', { name: POLICY });
  await toggle.waitFor();
  expect(await toggle.getAttribute('aria-checked')).toBe(String(!to));
  await toggle.click();
  const status = page.getByRole('status').filter({ hasText: `${POLICY} is ${to ? 'on' : 'off'} for ${name}` });
  await status.waitFor();
  expect(await toggle.getAttribute('aria-checked')).toBe(String(to));
  const version = /config version (\S+?)\.?$/.exec((await status.textContent()) ?? '')?.[1];
  expect(version, 'the toggle names the new config version').toBeTruthy();
  return version!;
}

/** Waits until the dataplane runs (ACKed) `version`, as its header on the dashboard shows. */
async function waitRunning(page: Page, demo: DemoInfo, name: string, version: string): Promise<number> {
  const header = page.getByLabel('Config version', { exact: true });
  await expect.poll(async () => (await header.textContent())?.trim(), { timeout: 30_000, message: `${name} runs ${version}` }).toBe(version);
  expect((await versionOf(demo, name)).configVersion).toBe(version);
  return Date.now();
}

describeDemo('toggle: MeshFaultInjection off for one dataplane, then on again', (demo) => {
  const session = dashboardSession(demo);
  afterAll(async () => {
    // Leave the policy on for the specs that follow, whatever happened here.
    await api(demo(), `/api/meshes/default/dataplanes/backend/policies/MeshFaultInjection/demo-delay`, { method: 'PUT', body: { enabled: true } }).catch(() => {});
  });

  it('while on, some of the backend inbound requests wait the 300 ms delay (flow timings)', async () => {
    const flows = await inboundFlowsSince(session().page, demo(), 'backend', Date.now() - 60_000, 12, /^POST \/increment/);
    expect(flows.some((f) => f.durationMs >= DELAY_MS), `durations ${flows.map((f) => f.durationMs).join(', ')}`).toBe(true);
  });

  it('off for the backend: a new config version, its next flows undelayed, the frontend keeps the delay', async () => {
    const { page } = session();
    const before = (await versionOf(demo(), 'backend')).configVersion;
    const frontendBefore = (await versionOf(demo(), 'frontend')).configVersion;
    const version = await flip(page, demo(), 'backend', false);
    expect(version).not.toBe(before);
    await screenshot(page, 'toggle-off');
    const ackedAt = await waitRunning(page, demo(), 'backend', version);

    const after = await inboundFlowsSince(page, demo(), 'backend', ackedAt + SETTLE_MS, 12, /^POST \/increment/);
    expect(after.every((f) => f.durationMs < DELAY_MS), `durations after off: ${after.map((f) => f.durationMs).join(', ')}`).toBe(true);
    await screenshot(page, 'toggle-off-backend-flows');

    // The frontend was not touched: same version, the switch still on, and its requests still delayed.
    expect((await versionOf(demo(), 'frontend')).configVersion).toBe(frontendBefore);
    await page.goto(gui(demo(), dataplanePath('frontend', 'policies')));
    expect(await page.getByRole('switch', { name: POLICY }).getAttribute('aria-checked')).toBe('true');
    const frontendFlows = await inboundFlowsSince(page, demo(), 'frontend', ackedAt + SETTLE_MS, 16, /^GET \/ /);
    expect(frontendFlows.some((f) => f.durationMs >= DELAY_MS), `frontend durations: ${frontendFlows.map((f) => f.durationMs).join(', ')}`).toBe(true);
  });

  it('on again for the backend: another version, and its requests are delayed again', async () => {
    const { page } = session();
    const before = (await versionOf(demo(), 'backend')).configVersion;
    const version = await flip(page, demo(), 'backend', true);
    expect(version).not.toBe(before);
    const ackedAt = await waitRunning(page, demo(), 'backend', version);
    const flows = await inboundFlowsSince(page, demo(), 'backend', ackedAt + SETTLE_MS, 16, /^POST \/increment/);
    expect(flows.some((f) => f.durationMs >= DELAY_MS), `durations after on: ${flows.map((f) => f.durationMs).join(', ')}`).toBe(true);
    await screenshot(page, 'toggle-on');
  });
});
