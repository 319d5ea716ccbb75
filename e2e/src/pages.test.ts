import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OUTPUT_DIR } from './browser.ts';
import { dataplanePath, describeDemo, gui, openDashboard, screenshot, type Session } from './harness.ts';

/** Every page of the dashboard, with what shows that it has loaded. */
const PAGES: Array<{ slug: string; path: string; ready: (page: Page) => Promise<unknown> }> = [
  { slug: 'overview', path: '/', ready: (p) => p.getByRole('table', { name: 'Dataplanes' }).waitFor() },
  { slug: 'flows', path: '/flows', ready: (p) => p.getByRole('table', { name: 'Flows' }).waitFor() },
  { slug: 'services', path: '/services', ready: (p) => p.getByRole('group', { name: 'Service map' }).waitFor() },
  { slug: 'service-backend', path: '/meshes/default/services/backend', ready: (p) => p.getByRole('figure', { name: 'Latency chart' }).locator('svg path.recharts-line-curve').first().waitFor() },
  { slug: 'policies', path: '/policies', ready: (p) => p.getByRole('list', { name: 'Policies' }).waitFor() },
  { slug: 'mesh', path: '/meshes/default', ready: (p) => p.getByRole('table', { name: 'Dataplanes' }).waitFor() },
  { slug: 'mesh-dataplanes', path: '/meshes/default/dataplanes', ready: (p) => p.getByRole('table', { name: 'Dataplanes' }).waitFor() },
  { slug: 'dataplane-overview', path: dataplanePath('backend'), ready: (p) => p.getByRole('figure', { name: 'Outbound sequence diagram' }).locator('svg').first().waitFor() },
  { slug: 'dataplane-listeners', path: dataplanePath('backend', 'listeners'), ready: (p) => p.getByRole('table', { name: 'Listener metrics' }).waitFor() },
  { slug: 'dataplane-clusters', path: dataplanePath('backend', 'clusters'), ready: (p) => p.getByRole('table', { name: 'Clusters' }).waitFor() },
  { slug: 'dataplane-rules', path: dataplanePath('backend', 'rules'), ready: (p) => p.getByRole('form', { name: 'Trace a packet' }).waitFor() },
  { slug: 'dataplane-policies', path: dataplanePath('backend', 'policies'), ready: (p) => p.getByRole('switch').first().waitFor() },
  { slug: 'dataplane-flows', path: dataplanePath('backend', 'flows'), ready: (p) => p.getByRole('table', { name: 'Flows of backend' }).waitFor() },
  { slug: 'dataplane-config-dump', path: dataplanePath('backend', 'config-dump'), ready: (p) => p.getByRole('list', { name: 'Config versions' }).waitFor() },
];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; failureSummary?: string }>;
}

/** The serious and critical violations of the page, each in one line; every violation found is also written to `e2e/output/axe-<name>.json`. */
async function seriousViolations(page: Page, name: string): Promise<string[]> {
  const all = await axeViolations(page);
  writeFileSync(join(OUTPUT_DIR, `axe-${name}.json`), `${JSON.stringify(all, null, 2)}\n`);
  return all
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(' | ')}`);
}

/** Runs axe-core in the page (its source evaluated over CDP, so no script tag and no CSP in the way): WCAG 2.1 A/AA rules, colour contrast among them. */
async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.map(String), html: n.html.slice(0, 300), failureSummary: n.failureSummary })) }));
  });
}

/** Until no "Loading …" status is left, then a moment for charts and diagrams to settle. */
async function settled(page: Page): Promise<void> {
  await expect.poll(() => page.getByRole('status').filter({ hasText: /^Loading / }).count(), { timeout: 30_000 }).toBe(0);
  await page.waitForTimeout(500);
}

for (const theme of ['light', 'dark'] as const) {
  describeDemo(`every page in ${theme} mode: a screenshot, and no serious or critical axe violation (contrast among them)`, (demo) => {
    let session: Session;
    beforeAll(async () => {
      session = await openDashboard(demo());
      await session.page.emulateMedia({ colorScheme: theme });
    });
    afterAll(() => session.close());

    for (const p of PAGES) {
      it(`${p.slug} (${theme})`, async () => {
        const { page } = session;
        await page.goto(gui(demo(), p.path));
        await p.ready(page);
        await settled(page);
        expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
        await screenshot(page, `page-${p.slug}-${theme}`);
        expect(await seriousViolations(page, `${p.slug}-${theme}`)).toEqual([]);
      });
    }

    it(`the flow drawer (${theme})`, async () => {
      const { page } = session;
      await page.goto(gui(demo(), '/flows'));
      const table = page.getByRole('table', { name: 'Flows' });
      await expect.poll(async () => (await table.getByRole('row').count()) - 1, { timeout: 30_000 }).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'Pause' }).click();
      await table.getByRole('row').nth(1).click();
      const drawer = page.getByRole('dialog', { name: 'Flow details' });
      await drawer.getByRole('figure', { name: 'Flow sequence diagram' }).locator('svg').first().waitFor({ timeout: 30_000 });
      await settled(page);
      await screenshot(page, `page-flow-drawer-${theme}`);
      expect(await seriousViolations(page, `flow-drawer-${theme}`)).toEqual([]);
    });
  });
}
