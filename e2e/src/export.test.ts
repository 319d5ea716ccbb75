import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEnvoyJson } from '@meshcap/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { OUTPUT_DIR } from './browser.ts';
import { api, dataplanePath, describeDemo, eventually, gui, dashboardSession, screenshot, type DemoInfo } from './harness.ts';

type Schemas = components['schemas'];

const FAULT_FILTER = 'envoy.filters.http.fault';
const TOGGLE = '/api/meshes/default/dataplanes/backend/policies/MeshFaultInjection/demo-delay';

/** Clicks "Export JSON" on the backend's Config dump tab and returns the downloaded file's parsed JSON. */
async function exportConfigDump(page: Page, demo: DemoInfo, saveAs: string): Promise<unknown> {
  await page.goto(gui(demo, dataplanePath('backend', 'config-dump')));
  const link = page.getByRole('link', { name: 'Export JSON' });
  await link.waitFor();
  // The file is named after the version, which the version list brings.
  await page.getByRole('list', { name: 'Config versions' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  // Named after the dataplane and the version it shows (what it runs).
  const { configVersion } = await api<Schemas['DataplaneDetail']>(demo, '/api/meshes/default/dataplanes/backend');
  expect(download.suggestedFilename()).toBe(`backend-config_dump-${configVersion}.json`);
  const path = join(OUTPUT_DIR, saveAs);
  await download.saveAs(path);
  const text = readFileSync(path, 'utf8');
  // Pretty-printed, as Envoy's admin endpoint prints it.
  expect(text.startsWith('{\n  "configs": [')).toBe(true);
  return JSON.parse(text);
}

/** Sets the toggle through the API and waits until the backend runs the version it produced. */
async function setFault(demo: DemoInfo, enabled: boolean): Promise<void> {
  const { configVersion } = await api<Schemas['PolicyToggleResult']>(demo, TOGGLE, { method: 'PUT', body: { enabled } });
  await eventually(`backend runs ${configVersion}`, async () => {
    const dp = await api<Schemas['DataplaneDetail']>(demo, '/api/meshes/default/dataplanes/backend');
    return dp.configVersion === configVersion ? true : undefined;
  });
}

describeDemo('export: "Export JSON" downloads a config_dump Envoy can read', (demo) => {
  const session = dashboardSession(demo);
  afterAll(async () => {
    await api(demo(), TOGGLE, { method: 'PUT', body: { enabled: true } }).catch(() => {});
  });

  it('decodes strictly with Envoy\'s protos and has the fault filter while the policy is on', async () => {
    const dump = await exportConfigDump(session().page, demo(), 'backend-config_dump.json');
    expect(await checkEnvoyJson(dump)).toEqual([]);
    expect(JSON.stringify(dump)).toContain(FAULT_FILTER);
    await screenshot(session().page, 'config-dump');
  });

  it('exports what the filters show, and says so in the file name', async () => {
    const { page } = session();
    await page.goto(gui(demo(), dataplanePath('backend', 'config-dump')));
    await page.getByRole('list', { name: 'Config versions' }).waitFor();
    await page.getByLabel('Resource').selectOption('Listeners');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSON' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^backend-config_dump-.+-filtered\.json$/);
    const path = join(OUTPUT_DIR, 'backend-config_dump-listeners.json');
    await download.saveAs(path);
    const dump = JSON.parse(readFileSync(path, 'utf8')) as { configs: Array<{ '@type': string }> };
    expect(dump.configs.map((c) => c['@type'])).toEqual(['type.googleapis.com/envoy.admin.v3.ListenersConfigDump']);
  });

  it('has no fault filter while the policy is off for the backend, and has it again once it is on', async () => {
    await setFault(demo(), false);
    const off = await exportConfigDump(session().page, demo(), 'backend-config_dump-fault-off.json');
    expect(await checkEnvoyJson(off)).toEqual([]);
    expect(JSON.stringify(off)).not.toContain(FAULT_FILTER);

    await setFault(demo(), true);
    const on = await exportConfigDump(session().page, demo(), 'backend-config_dump-fault-on.json');
    expect(await checkEnvoyJson(on)).toEqual([]);
    expect(JSON.stringify(on)).toContain(FAULT_FILTER);
  });
});
