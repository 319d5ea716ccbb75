import { expect, it } from 'vitest';
import { dataplanePath, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

describeDemo('diagrams: the inbound and outbound sequence diagrams render as SVG', (demo) => {
  const session = dashboardSession(demo);

  for (const name of ['frontend', 'backend']) {
    it(`${name}: both path diagrams are SVG drawn from the real config`, async () => {
      const { page } = session();
      await page.goto(gui(demo(), dataplanePath(name)));
      for (const direction of ['Inbound', 'Outbound']) {
        const figure = page.getByRole('figure', { name: `${direction} sequence diagram` });
        const svg = figure.locator('svg').first();
        await svg.waitFor({ timeout: 30_000 });
        expect(await figure.getAttribute('aria-busy')).toBe('false');
        // A drawn mermaid sequence diagram: participants as text, messages as lines.
        const text = (await svg.textContent()) ?? '';
        expect(text, `${name} ${direction} diagram text`).toMatch(direction === 'Inbound' ? /15006/ : /15001/);
        expect(await svg.locator('line, path').count()).toBeGreaterThan(2);
      }
      expect(await page.getByRole('alert', { name: /diagram error/ }).count()).toBe(0);
      await screenshot(page, `diagrams-${name}`);
    });
  }
});
