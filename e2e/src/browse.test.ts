import { expect, it } from 'vitest';
import { dataplane, dataplanePath, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

describeDemo('browse: overview and a dataplane page', (demo) => {
  const session = dashboardSession(demo);

  it('the overview lists every demo dataplane as connected, each linking to its page', async () => {
    const { page } = session();
    const table = page.getByRole('table', { name: 'Dataplanes' });
    for (const dp of demo().dataplanes) {
      const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: dp.name, exact: true }) });
      await expect.poll(() => row.getByRole('status', { name: 'connected' }).count(), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => row.textContent()).toContain(dp.address);
      await expect.poll(() => row.textContent()).toContain('redirect');
    }
    await screenshot(page, 'overview');
  });

  it("the overview's error rate counts the demo's denials and says what it counts", async () => {
    const { page } = session();
    const counts = page.getByLabel('What the error rate counts');
    await expect.poll(() => counts.textContent(), { timeout: 30_000 }).toMatch(/\d+ denied/);
    expect(await counts.textContent()).toContain('4xx/5xx');
    const rate = page.getByText('Error rate', { exact: true }).locator('xpath=following-sibling::dd[1]');
    expect(Number.parseFloat((await rate.textContent()) ?? '')).toBeGreaterThan(0);
  });

  it('a dataplane page shows its 15006/15001 passthrough listeners and its inbound:<addr>:<port> listener', async () => {
    const { page } = session();
    const frontend = dataplane(demo(), 'frontend');
    await page.getByRole('table', { name: 'Dataplanes' }).getByRole('link', { name: 'frontend', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'frontend' }).waitFor();
    // The overview tab: the inbound as a card named after its listener.
    await page.getByRole('article', { name: frontend.inboundListener! }).waitFor();
    await screenshot(page, 'dataplane-overview');

    await page.getByRole('tab', { name: 'Listeners' }).click();
    const listeners = page.getByRole('table', { name: 'Listeners' });
    await listeners.waitFor();
    const rowOf = (name: string) => listeners.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${name.replace(/[.:]/g, '\\$&')}\\b`) }) });
    for (const [name, port] of [
      ['inbound:passthrough:ipv4', '15006'],
      ['inbound:passthrough:ipv6', '15006'],
      ['outbound:passthrough:ipv4', '15001'],
      ['outbound:passthrough:ipv6', '15001'],
    ] as const) {
      const row = rowOf(name);
      await expect.poll(() => row.count(), { message: `listener ${name}` }).toBe(1);
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells[0], `${name} address`).toMatch(new RegExp(`:${port}$`));
      expect(cells[1], `${name} original-dst`).toBe('yes');
    }
    const inbound = rowOf(frontend.inboundListener!);
    await expect.poll(() => inbound.count()).toBe(1);
    expect((await inbound.getByRole('cell').allTextContents())[0]).toBe(`${frontend.address}:5000`);
    await screenshot(page, 'dataplane-listeners');
    expect(page.url()).toBe(gui(demo(), dataplanePath('frontend', 'listeners')));
  });

  it("a dataplane's Clusters tab shows, from the running dataplane, each endpoint's health and the circuit breakers", async () => {
    const { page } = session();
    await page.goto(gui(demo(), dataplanePath('backend', 'clusters')));
    const clusters = page.getByRole('table', { name: 'Clusters' });
    await clusters.waitFor({ timeout: 20_000 });
    // The backend's inbound cluster: its app, healthy, and it has carried the demo's requests.
    const endpoint = clusters.getByRole('list', { name: /^Endpoints of localhost:\d+$/ }).getByRole('listitem').first();
    await expect.poll(() => endpoint.textContent(), { timeout: 20_000 }).toMatch(/^127\.0\.0\.1:\d+healthy[1-9]\d* rq/);
    const passthrough = clusters.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^inbound:passthrough:ipv4\b/ }) });
    expect(await passthrough.textContent()).toContain('the original destination of each connection');
    expect(await passthrough.textContent()).toContain('connections1024');
    await screenshot(page, 'dataplane-clusters');
  });

  it('the policies page lists the demo policies with the dataplanes they affect', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/policies'));
    for (const name of ['demo-delay', 'demo-timeouts', 'frontend-rate-limit', 'backend-callers']) {
      await page.getByText(name, { exact: true }).first().waitFor();
    }
    await screenshot(page, 'policies');
  });

  it('the breadcrumb of a dataplane page links to the mesh and to its dataplanes; tabs move with the arrow keys', async () => {
    const { page } = session();
    await page.goto(gui(demo(), dataplanePath('backend', 'rules')));
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
    await crumbs.getByRole('link', { name: 'dataplanes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dataplanes of default' }).waitFor();
    await page.getByRole('table', { name: 'Dataplanes' }).getByRole('link', { name: 'backend', exact: true }).waitFor();
    await page.goto(gui(demo(), dataplanePath('backend', 'rules')));
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'mesh default' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mesh default' }).waitFor();

    await page.goto(gui(demo(), dataplanePath('backend', 'rules')));
    await page.getByRole('tab', { name: 'Rules' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator(':focus').textContent()).toBe('Policies');
    await page.keyboard.press('End');
    expect(await page.locator(':focus').textContent()).toBe('Config dump');
    await page.keyboard.press('Enter');
    await page.waitForURL(/config-dump$/);
  });
});
