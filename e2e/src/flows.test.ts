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

  // Needs both sides of the client's denied direct calls in the browser's flow buffer: the client's
  // outbound (forwarded, 403) and the backend's inbound (denied).
  it("search finds what the table shows; the caller's side of a denied call is not a green 'forwarded'", async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows'));
    const table = page.getByRole('table', { name: 'Flows' });
    await table.waitFor({ timeout: 30_000 });
    await page.getByLabel('Search flows').fill('GET /counter');
    // The client's direct calls to the backend: its own side forwarded and answered 403, the backend's side denied.
    const rows = table.getByRole('row').filter({ hasText: 'GET /counter → 403' });
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const outcomes = async () => new Set(await table.locator('[data-outcome]').evaluateAll((els) => els.map((e) => `${e.textContent}/${e.getAttribute('data-outcome')}`)));
    await expect.poll(async () => [...(await outcomes())].sort(), { timeout: 30_000 }).toEqual(['denied/denied', 'forwarded/upstream-4xx']);
    const callerBadge = rows.filter({ hasText: 'client' }).locator('[data-outcome="upstream-4xx"]').first();
    const green = await callerBadge.evaluate((e) => {
      const [r, g, b] = (getComputedStyle(e).backgroundColor.match(/\d+/g) ?? []).map(Number);
      return g! > r! + 30 && g! > b! + 30;
    });
    expect(green, "the caller's badge is not green").toBe(false);

    // A request id finds the request's hops.
    await page.getByRole('button', { name: 'Pause' }).click();
    await rows.first().click();
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    const requestId = (await drawer.locator('dt', { hasText: 'Request id' }).locator('xpath=following-sibling::dd[1]').textContent())!.trim();
    await drawer.getByRole('button', { name: 'Close' }).click();
    await page.getByLabel('Search flows').fill(requestId);
    await expect.poll(() => table.getByRole('row').count()).toBeGreaterThan(1);
    for (const r of (await table.getByRole('row').all()).slice(1)) expect(await r.textContent()).toContain('GET /counter');
    await page.getByRole('button', { name: 'Resume' }).click();
    await screenshot(page, 'flows-search');
  });

  it('filters and the open flow are in the URL: a reload shows the same view', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows'));
    const table = page.getByRole('table', { name: 'Flows' });
    await table.waitFor({ timeout: 30_000 });
    await page.getByLabel('Verdict').selectOption('denied');
    await page.getByLabel('Search flows').fill('/counter');
    await expect.poll(() => table.getByRole('row').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Pause' }).click();
    await table.getByRole('row').nth(1).click();
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    await drawer.waitFor();
    const id = (await drawer.locator('header p').textContent())!.trim();
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ verdict: 'denied', q: '/counter', flow: id });

    await page.reload();
    await page.getByRole('dialog', { name: 'Flow details' }).waitFor();
    expect((await page.getByRole('dialog', { name: 'Flow details' }).locator('header p').textContent())!.trim()).toBe(id);
    expect(await page.getByLabel('Verdict').inputValue()).toBe('denied');
    expect(await page.getByLabel('Search flows').inputValue()).toBe('/counter');

    // The drawer's diagram is readable at drawer width: text drawn at 12 px or more, with zoom controls.
    const figure = page.getByRole('dialog', { name: 'Flow details' }).getByRole('figure', { name: 'Flow sequence diagram' });
    const svg = figure.locator('svg').first();
    await svg.waitFor({ timeout: 30_000 });
    const textPx = await svg.evaluate((el) => {
      const t = el.querySelector('text.messageText') ?? el.querySelector('text');
      return t ? t.getBoundingClientRect().height : 0;
    });
    expect(textPx, 'rendered message text height').toBeGreaterThanOrEqual(11);
    await figure.getByRole('button', { name: 'Open full size' }).click();
    await page.getByRole('dialog', { name: 'Flow sequence diagram, full size' }).waitFor();
    await screenshot(page, 'flow-diagram-full-size');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Flow sequence diagram, full size' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('dialog', { name: 'Flow details' }).count()).toBe(1);
    await page.getByRole('dialog', { name: 'Flow details' }).getByRole('button', { name: 'Close' }).click();
    expect(new URL(page.url()).searchParams.has('flow')).toBe(false);
  });

  it('a focused row keeps its place while live flows arrive', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/flows'));
    await page.getByRole('status', { name: 'Stream: Live' }).waitFor({ timeout: 30_000 });
    const table = page.getByRole('table', { name: 'Flows' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: 30_000 }).toBeGreaterThan(4);
    await table.getByRole('row').nth(3).focus();
    // Once the table holds still (a flow arrived since), the focused row's place is noted ...
    const held = page.getByText(/\d+ new held while a row has focus/);
    await held.waitFor({ timeout: 20_000 });
    const focused = page.locator(':focus');
    const text = await focused.textContent();
    const top = (await focused.boundingBox())!.y;
    const heldCount = async () => Number(/(\d+) new held/.exec((await held.textContent()) ?? '')?.[1] ?? 0);
    const before = await heldCount();
    // ... and kept while more arrive.
    await expect.poll(heldCount, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(await focused.textContent()).toBe(text);
    expect((await focused.boundingBox())!.y).toBe(top);
    // Arrow keys move between rows; Tab leaves the table in one step.
    const at = Number(await focused.getAttribute('aria-rowindex'));
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator(':focus').getAttribute('aria-rowindex')).toBe(String(at + 1));
  });
});
