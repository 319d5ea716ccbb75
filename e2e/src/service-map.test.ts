import { expect, it } from 'vitest';
import { describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

/** `client → frontend: 7.2/s · 0.0 % err · p99 4.3 ms[, 3 denied]` → its numbers. */
function edgeNumbers(label: string): { rate: number; errorPct: number; p99: string; denied: number } {
  const m = /: ([\d.]+)\/s · ([\d.]+) % err · p99 ([\d.]+ m?s)(?:, (\d+) denied)?$/.exec(label);
  if (!m) throw new Error(`not an edge label: "${label}"`);
  return { rate: Number(m[1]), errorPct: Number(m[2]), p99: m[3]!, denied: Number(m[4] ?? 0) };
}

describeDemo('service map: the demo services and the calls between them, with numbers', (demo) => {
  const session = dashboardSession(demo);

  // The client's direct calls to the backend are counted on its own outbound side (a forwarded 403) and
  // marked denied from the backend's inbound side: both sides must reach the browser's flow buffer.
  it("shows client, frontend and backend, the calls with rate, errors and p99, and the client's denied direct calls marked", async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/services'));
    const map = page.getByRole('group', { name: 'Service map' });
    await map.waitFor({ timeout: 30_000 });
    for (const service of ['client', 'frontend', 'backend']) {
      await map.getByRole('link', { name: new RegExp(`^service ${service}: 1 dataplane · in [\\d.]+/s$`) }).waitFor({ timeout: 30_000 });
    }
    const edge = (from: string, to: string) => map.getByRole('link', { name: new RegExp(`^${from} → ${to}: `) });
    await expect.poll(() => edge('client', 'frontend').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => edge('frontend', 'backend').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => edge('client', 'backend').count(), { timeout: 30_000 }).toBe(1);

    const cf = edgeNumbers((await edge('client', 'frontend').getAttribute('aria-label'))!);
    expect(cf.rate).toBeGreaterThan(0);
    expect(cf.denied).toBe(0);
    const fb = edgeNumbers((await edge('frontend', 'backend').getAttribute('aria-label'))!);
    expect(fb.rate).toBeGreaterThan(0);
    // The client's direct calls to the backend are denied by its traffic permission.
    const cb = edgeNumbers((await edge('client', 'backend').getAttribute('aria-label'))!);
    expect(cb.denied).toBeGreaterThan(0);
    expect(cb.errorPct).toBeGreaterThan(0);
    expect(await map.locator('[data-edge="client → backend"]').getAttribute('data-denied')).toBe('true');
    expect(await map.locator('[data-edge="client → frontend"]').getAttribute('data-denied')).toBeNull();
    await screenshot(page, 'service-map');

    // An edge opens its flows; a service opens its dataplane.
    await edge('frontend', 'backend').click();
    await page.waitForURL(/\/flows\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('dataplane')).toBe('frontend');
    expect(url.searchParams.get('direction')).toBe('outbound');
    const table = page.getByRole('table', { name: 'Flows' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await page.goBack();
    await map.getByRole('link', { name: /^service backend:/ }).click();
    await page.getByRole('heading', { level: 1, name: 'backend' }).waitFor();
  });
});
