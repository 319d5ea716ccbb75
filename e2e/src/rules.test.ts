import type { Locator, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { dataplane, dataplanePath, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

/** `1234`, `12.3K`, `1.2M` (the dashboard's compact counts) → a number. */
function parseCount(text: string): number {
  const m = /^\s*([\d.]+)\s*([KMB]?)\s*$/i.exec(text);
  if (!m) throw new Error(`not a count: "${text}"`);
  return Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, B: 1e9 }[m[2]!.toUpperCase()] ?? 1);
}

/** The packet counter of the first rule in `table` whose text contains `ruleText`. */
async function packets(table: Locator, ruleText: string): Promise<number> {
  const row = table.getByRole('row').filter({ hasText: ruleText }).first();
  return parseCount((await row.getByRole('cell').nth(1).textContent()) ?? '');
}

async function openRules(page: Page, url: string): Promise<Locator> {
  await page.goto(url);
  const table = page.getByRole('table', { name: 'ip nat KUMA_MESH_OUTBOUND_REDIRECT rules' });
  await table.waitFor({ timeout: 30_000 });
  return table;
}

describeDemo('rules: our chains with growing counters, and a traced packet', (demo) => {
  const session = dashboardSession(demo);

  it("shows meshcap's KUMA_MESH_* chains in the client's nat table, with counters that grow with the traffic", async () => {
    const { page } = session();
    // The client opens a connection per request, each one captured by its outbound REDIRECT.
    const url = gui(demo(), dataplanePath('client', 'rules'));
    const table = await openRules(page, url);
    for (const chain of ['KUMA_MESH_INBOUND', 'KUMA_MESH_INBOUND_REDIRECT', 'KUMA_MESH_OUTBOUND', 'KUMA_MESH_OUTBOUND_REDIRECT']) {
      await page.getByRole('heading', { level: 4, name: chain, exact: true }).first().waitFor();
    }
    const first = await packets(table, 'REDIRECT --to-ports 15001');
    expect(first).toBeGreaterThan(0);
    await expect
      .poll(async () => packets(await openRules(page, url), 'REDIRECT --to-ports 15001'), { timeout: 30_000, interval: 2_000, message: 'the REDIRECT counter grows' })
      .toBeGreaterThan(first);
    await screenshot(page, 'rules');
  });

  it('gives the rule text the width, with visible column headers, and shows no rule-reader warnings', async () => {
    const { page } = session();
    const table = await openRules(page, gui(demo(), dataplanePath('client', 'rules')));
    const width = async (name: string) => (await table.getByRole('columnheader', { name, exact: true }).boundingBox())!.width;
    const whole = (await table.boundingBox())!.width;
    expect(await width('Rule'), 'the rule column').toBeGreaterThan(whole * 0.6);
    for (const narrow of ['#', 'Packets', 'Bytes']) {
      expect(await table.getByRole('columnheader', { name: narrow, exact: true }).isVisible()).toBe(true);
      expect(await width(narrow), narrow).toBeLessThan(whole * 0.15);
    }
    // One rule is one line or two, not a character per line.
    const row = table.getByRole('row').filter({ hasText: 'REDIRECT --to-ports 15001' }).first();
    expect((await row.boundingBox())!.height).toBeLessThan(60);
    // The dataplane runs as the proxy user, which may not list the legacy tables: said as a note, not a warning.
    expect(await page.getByRole('list', { name: 'Rule reader warnings' }).count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('Permission denied');
  });

  it("tracing a packet from the frontend to the backend's address highlights the REDIRECT to 15001", async () => {
    const { page } = session();
    const frontend = dataplane(demo(), 'frontend');
    const backend = demo().backend;
    await openRules(page, gui(demo(), dataplanePath('frontend', 'rules')));
    const form = page.getByRole('form', { name: 'Trace a packet' });
    // The source starts as the dataplane's own address.
    await expect.poll(() => form.getByLabel('Source address').inputValue()).toBe(frontend.address);
    await form.getByLabel('Direction').selectOption('outbound');
    await form.getByLabel('Source address').fill(frontend.address);
    await form.getByLabel('Destination address').fill(backend.address);
    await form.getByLabel('Destination port').fill(String(backend.port));
    // The demo's apps run as root in their namespaces; with the UID the owner matches are decidable.
    await form.getByLabel('UID').fill('0');
    await form.getByRole('button', { name: 'Trace' }).click();
    const result = page.getByRole('status', { name: 'Trace result' });
    await result.waitFor();
    expect(await result.textContent()).toContain('Verdict: captured by REDIRECT to port 15001');
    expect(await result.textContent()).toMatch(/Decided by\s*-A KUMA_MESH_OUTBOUND_REDIRECT .*REDIRECT --to-ports 15001/);
    // The deciding rule is highlighted in the rule tables.
    const decided = page.locator('tr[aria-current="step"]');
    await expect.poll(() => decided.count()).toBeGreaterThan(0);
    expect(await decided.first().textContent()).toMatch(/REDIRECT --to-ports 15001/);
    expect(await decided.first().getAttribute('data-mark')).toBe('decided');
    await screenshot(page, 'rules-trace');
  });
});
