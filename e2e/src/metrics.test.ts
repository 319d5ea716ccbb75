import { expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, dataplane, dataplanePath, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

type GoldenMetrics = components['schemas']['GoldenMetrics'];

/** `Last 5 min: 1234 requests, 4.11/s · errors: 0 5xx, 37 denied, …` → its numbers. */
function shownTotals(text: string): { window: string; requests: number; rate: number; denied: number } {
  const m = /^Last (\d+ min)(?: \(flows held since [\d:]+\))?: (\d+) requests, ([\d.]+)\/s · errors: \d+ 5xx, (\d+) denied,/.exec(text);
  if (!m) throw new Error(`not the metrics totals: "${text}"`);
  return { window: m[1]!, requests: Number(m[2]), rate: Number(m[3]), denied: Number(m[4]) };
}

describeDemo('golden metrics: time series of a service and a dataplane, from the flows', (demo) => {
  const session = dashboardSession(demo);

  it("the backend's service page (opened from the service map) charts its request rate, errors by kind and p50/p90/p99, with axes and units", async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/services'));
    await page.getByRole('group', { name: 'Service map' }).getByRole('link', { name: /^service backend:/ }).click();
    await page.waitForURL(/\/meshes\/default\/services\/backend$/);
    await page.getByRole('heading', { level: 1, name: 'backend' }).waitFor();

    const totals = page.getByLabel('Totals');
    await expect.poll(async () => shownTotals((await totals.textContent()) ?? '').requests, { timeout: 30_000 }).toBeGreaterThan(0);
    const shown = shownTotals((await totals.textContent())!);
    expect(shown.window).toBe('5 min');
    // The same numbers the API computes (a few seconds apart, so within a margin).
    const fromApi = await api<GoldenMetrics>(demo(), '/api/meshes/default/services/backend/metrics?window=5m');
    expect(shown.requests).toBeGreaterThan(fromApi.totals.requests * 0.5);
    expect(shown.requests).toBeLessThan(fromApi.totals.requests * 1.5 + 50);
    // The client's direct calls to the backend are denied by its traffic permission: counted as denials, not as 5xx.
    expect(fromApi.totals.denied).toBeGreaterThan(0);
    expect(shown.denied).toBeGreaterThan(0);

    const svgText = (name: string) => page.getByRole('figure', { name }).locator('svg text').allTextContents();
    const rate = page.getByRole('figure', { name: 'Request rate chart' });
    const line = rate.locator('svg path.recharts-line-curve');
    await line.waitFor();
    // A line through the steps that had flows (at least two points: M … L …).
    expect(((await line.getAttribute('d')) ?? '').split(/[L]/).length).toBeGreaterThan(2);
    const rateText = await svgText('Request rate chart');
    expect(rateText).toContain('req/s');
    expect(await rate.locator('figcaption').textContent()).toContain('(local time)');
    expect(rateText.some((t) => /^\d\d:\d\d:\d\d$/.test(t))).toBe(true);
    expect(await svgText('Errors chart')).toContain('errors / 5 s');
    const errors = page.getByRole('figure', { name: 'Errors chart' });
    expect(await errors.textContent()).toContain('denied by a policy');
    // Denials drawn: some bar of the denied series has a height.
    const deniedBars = errors.locator('.recharts-bar-rectangle path');
    await expect.poll(() => deniedBars.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await svgText('Latency chart')).toContain('ms');
    expect(await page.getByRole('figure', { name: 'Latency chart' }).locator('svg path.recharts-line-curve').count()).toBe(3);
    await screenshot(page, 'service-backend-metrics');

    // The window is in the URL: a reload keeps it.
    await page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: 'Last 15 min' }).click();
    await page.waitForURL(/\?window=15m$/);
    await expect.poll(async () => shownTotals((await totals.textContent()) ?? '').window).toBe('15 min');
    expect(await svgText('Errors chart')).toContain('errors / 15 s');
    await page.reload();
    await expect.poll(async () => shownTotals((await page.getByLabel('Totals').textContent()) ?? '').window, { timeout: 20_000 }).toBe('15 min');
    expect(await page.getByRole('button', { name: 'Last 15 min' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('the dataplane overview charts its flows; its Listeners tab counts requests and draws a latency histogram per listener', async () => {
    const { page } = session();
    const backend = dataplane(demo(), 'backend');
    await page.goto(gui(demo(), dataplanePath('backend')));
    await page.getByRole('figure', { name: 'Request rate chart' }).locator('svg path.recharts-line-curve').waitFor({ timeout: 30_000 });

    await page.goto(gui(demo(), dataplanePath('backend', 'listeners')));
    const table = page.getByRole('table', { name: 'Listener metrics' });
    await table.waitFor({ timeout: 30_000 });
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${backend.inboundListener!.replace(/[.:]/g, '\\$&')}\\b`) }) });
    await expect.poll(() => row.count()).toBe(1);
    const requests = Number((await row.getByRole('cell').first().textContent())!.trim());
    const fromApi = await api<GoldenMetrics>(demo(), '/api/meshes/default/dataplanes/backend/metrics');
    const listener = fromApi.listeners.find((l) => l.listener === backend.inboundListener)!;
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeGreaterThan(listener.requests * 0.5);
    expect(requests).toBeLessThan(listener.requests * 1.5 + 50);
    // The histogram's buckets add up to the listener's requests (the API's own numbers).
    expect(listener.histogram.reduce((s, b) => s + b.count, 0)).toBe(listener.requests);
    const histogram = row.getByRole('figure', { name: `Latency histogram of ${backend.inboundListener}` });
    await expect.poll(() => histogram.locator('.recharts-bar-rectangle path').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const ticks = await histogram.locator('svg text').allTextContents();
    expect(ticks.some((t) => /^≤ [\d.]+ m?s$/.test(t))).toBe(true);
    expect(ticks).toContain('flows');
    await screenshot(page, 'dataplane-listener-metrics');
  });
});
