import { expect, it } from 'vitest';
import { dataplane, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

describeDemo('live flows: new flows stream in without a reload', (demo) => {
  const session = dashboardSession(demo);

  it('rows arrive over the stream, with original destinations, and the page never reloads', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows'));
    await page.getByRole('status', { name: 'Stream: Live' }).waitFor({ timeout: 30_000 });
    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => ((window as unknown as { meshcapE2eMarker: number }).meshcapE2eMarker = 42));
    const table = page.getByRole('table', { name: 'Flows' });
    await table.waitFor({ timeout: 30_000 });
    const firstRow = () => table.getByRole('row').nth(1);
    const before = await firstRow().getAttribute('aria-rowindex');
    expect(before).toBe('2');
    const firstText = await firstRow().textContent();
    // New flows are prepended: the newest row changes while we watch.
    await expect.poll(() => firstRow().textContent(), { timeout: 20_000, message: 'a new flow at the top' }).not.toBe(firstText);
    expect(await page.evaluate(() => (window as unknown as { meshcapE2eMarker?: number }).meshcapE2eMarker)).toBe(42);

    // Original destinations: the client dialled the frontend at its own address, the frontend
    // dialled the backend at its own; both were captured (REDIRECT) and still show where they went.
    const frontend = dataplane(demo(), 'frontend');
    const backend = demo().backend;
    const rows = table.getByRole('row');
    await expect.poll(async () => (await rows.allTextContents()).join('\n'), { timeout: 20_000 }).toContain(`${frontend.address}:5000`);
    await expect.poll(async () => (await rows.allTextContents()).join('\n'), { timeout: 20_000 }).toContain(`${backend.address}:${backend.port}`);
    await screenshot(page, 'flows');
  });

  it("a flow's detail drawer shows its fields and its own sequence diagram", async () => {
    const { page } = session();
    const backend = demo().backend;
    const table = page.getByRole('table', { name: 'Flows' });
    // Pause the live table first, as a user would to pick a row that keeps still.
    const pause = page.getByRole('button', { name: 'Pause' });
    await pause.click();
    expect(await page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    // An outbound flow of the frontend to the backend.
    const row = table.getByRole('row').filter({ hasText: `${backend.address}:${backend.port}` }).filter({ hasText: 'out →' }).first();
    await row.click();
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    await drawer.waitFor();
    const drawerText = (await drawer.textContent()) ?? '';
    expect(drawerText).toContain(`${backend.address}:${backend.port}`);
    expect(drawerText).toMatch(/Capture\s*redirect/);
    const svg = drawer.getByRole('figure', { name: 'Flow sequence diagram' }).locator('svg').first();
    await svg.waitFor({ timeout: 30_000 });
    expect((await svg.textContent()) ?? '').toContain(backend.address);
    await screenshot(page, 'flow-detail');
    await drawer.getByRole('button', { name: 'Close' }).click();
    await drawer.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Resume' }).click();
  });
});
