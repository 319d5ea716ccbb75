import { afterAll, expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, dataplanePath, describeDemo, eventually, gui, dashboardSession, screenshot, type DemoInfo } from './harness.ts';

type Schemas = components['schemas'];

const TOGGLE = '/api/meshes/default/dataplanes/backend/policies/MeshFaultInjection/demo-delay';

/** Sets the toggle through the API and waits until the backend runs the version it produced. */
async function setFault(demo: DemoInfo, enabled: boolean): Promise<string> {
  const { configVersion } = await api<Schemas['PolicyToggleResult']>(demo, TOGGLE, { method: 'PUT', body: { enabled } });
  await eventually(`backend runs ${configVersion}`, async () => {
    const dp = await api<Schemas['DataplaneDetail']>(demo, '/api/meshes/default/dataplanes/backend');
    return dp.configVersion === configVersion ? true : undefined;
  });
  return configVersion;
}

describeDemo('URL state: what a view shows survives a reload and can be shared', (demo) => {
  const session = dashboardSession(demo);
  afterAll(async () => {
    await api(demo(), TOGGLE, { method: 'PUT', body: { enabled: true } }).catch(() => {});
  });

  it('"Trace this flow" opens the Rules tab with the packet of the flow traced; the inputs and the result survive a reload', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows?dataplane=frontend&direction=outbound'));
    const table = page.getByRole('table', { name: 'Flows' });
    await expect.poll(async () => (await table.getByRole('row').count()) - 1, { timeout: 30_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Pause' }).click();
    await table.getByRole('row').nth(1).click();
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    const field = async (name: string) => (await drawer.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]').textContent())!.trim();
    const client = await field('Client');
    const destination = await field('Original destination');
    await drawer.getByRole('link', { name: 'Trace this flow' }).click();
    await page.waitForURL(/\/meshes\/default\/dataplanes\/frontend\/rules\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('tdir')).toBe('outbound');
    expect(url.searchParams.get('tsrc')).toBe(client.replace(/:\d+$/, ''));
    expect(`${url.searchParams.get('tdst')}:${url.searchParams.get('tport')}`).toBe(destination);

    const result = page.getByRole('status', { name: 'Trace result' });
    await result.waitFor({ timeout: 30_000 });
    // The frontend's outbound call to the backend is captured by the REDIRECT to 15001.
    expect(await result.textContent()).toContain('15001');
    expect(await page.getByLabel('Destination port').inputValue()).toBe(url.searchParams.get('tport'));
    await screenshot(page, 'trace-this-flow');
    await page.reload();
    await page.getByRole('status', { name: 'Trace result' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('status', { name: 'Trace result' }).textContent()).toContain('15001');
    expect(await page.getByLabel('Source address').inputValue()).toBe(url.searchParams.get('tsrc'));
    expect(await page.getByLabel('Direction').inputValue()).toBe('outbound');
  });

  it('the config dump: the version viewed and the diff view are in the URL; a reload shows the same', async () => {
    const { page } = session();
    // Two versions at least: the fault off for the backend, then on again.
    const off = await setFault(demo(), false);
    await setFault(demo(), true);
    await page.goto(gui(demo(), dataplanePath('backend', 'config-dump')));
    const versions = page.getByRole('list', { name: 'Config versions' });
    await versions.waitFor({ timeout: 30_000 });
    const viewOff = page.getByRole('button', { name: new RegExp(`^View(ing)? version ${off}$`) });
    await viewOff.click();
    await page.waitForURL((u) => u.searchParams.get('version') === off);
    await page.getByRole('group', { name: 'Diff view' }).getByRole('button', { name: 'Unified text' }).click();
    await page.waitForURL((u) => u.searchParams.get('diff') === 'unified');
    const before = new URL(page.url()).search;

    await page.reload();
    await viewOff.waitFor({ timeout: 30_000 });
    expect(await viewOff.getAttribute('aria-pressed')).toBe('true');
    expect(await viewOff.textContent()).toBe(`Viewing version ${off}`);
    await page.getByLabel('Unified diff').waitFor();
    expect(await page.getByRole('button', { name: 'Unified text' }).getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).search).toBe(before);
    // Back returns to the version shown before (viewing a version is a history step).
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('version') !== off);
    await screenshot(page, 'config-dump-url-state');
  });
});
