import { expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

describeDemo('flow hops: one request across the client, the frontend and the backend, linked by x-request-id', (demo) => {
  const session = dashboardSession(demo);

  it("the drawer lists the request's hops in order and opens each; a search for its request id finds them", async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows?dataplane=client&direction=outbound'));
    const table = page.getByRole('table', { name: 'Flows' });
    await table.waitFor({ timeout: 30_000 });
    // The client's calls to the frontend (GET /), which calls the backend (POST /increment).
    await page.getByLabel('Search flows').fill('GET / → 200');
    const calls = table.getByRole('row').filter({ hasText: 'GET / → 200' });
    await expect.poll(() => calls.count(), { timeout: 30_000 }).toBeGreaterThan(2);
    await page.getByRole('button', { name: 'Pause' }).click();
    // Not the newest: its later hops have had time to arrive in their dataplanes' batches.
    await calls.nth(2).click();
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    const requestId = (await drawer.locator('dt', { hasText: 'Request id' }).locator('xpath=following-sibling::dd[1]').textContent())!.trim();
    const hops = drawer.getByRole('list', { name: 'Hops of this request' }).getByRole('button');
    await expect.poll(() => hops.count(), { timeout: 30_000 }).toBe(4);
    const texts = (await hops.allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    expect(texts[0]).toMatch(/^1 ?client ?out → ?GET \/ → 200/);
    expect(texts[1]).toMatch(/^2 ?frontend ?→ in ?GET \/ → 200/);
    expect(texts[2]).toMatch(/^3 ?frontend ?out → ?POST \/increment → 200/);
    expect(texts[3]).toMatch(/^4 ?backend ?→ in ?POST \/increment → 200/);
    expect(await hops.first().getAttribute('aria-current')).toBe('true');
    // The API agrees: the same four flows carry that request id.
    const fromApi = await api<components['schemas']['FlowList']>(demo(), `/api/flows?requestId=${encodeURIComponent(requestId)}`);
    expect(fromApi.items.map((f) => `${f.dataplane}/${f.direction}`).sort()).toEqual(['backend/inbound', 'client/outbound', 'frontend/inbound', 'frontend/outbound']);
    await screenshot(page, 'flow-hops');

    // A hop opens its own details (and the URL names it).
    await hops.nth(3).click();
    const backendFlow = fromApi.items.find((f) => f.dataplane === 'backend')!;
    await page.waitForURL((u) => u.searchParams.get('flow') === backendFlow.id);
    await expect.poll(() => drawer.textContent()).toContain('default/backend');
    await expect.poll(() => hops.nth(3).getAttribute('aria-current')).toBe('true');
    await drawer.getByRole('button', { name: 'Close' }).click();

    // Searching for the request id (all dataplanes, both directions) finds the four hops.
    await page.goto(gui(demo(), `/flows?q=${encodeURIComponent(requestId)}`));
    await table.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await table.getByRole('row').count()) - 1, { timeout: 30_000 }).toBe(4);
    const dataplanes = (await table.getByRole('row').all()).slice(1).map((r) => r.getByRole('cell').nth(1).textContent());
    expect((await Promise.all(dataplanes)).map((d) => d?.trim()).sort()).toEqual(['backend', 'client', 'frontend', 'frontend']);
  });
});
