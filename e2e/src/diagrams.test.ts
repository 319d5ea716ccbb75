import type { Page } from 'playwright-core';
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

  it('in dark mode the diagrams are dark, and their text, inside the grey host boxes too, stays readable', async () => {
    const { page } = session();
    await page.goto(gui(demo(), dataplanePath('frontend')));
    await page.evaluate(() => window.localStorage.setItem('meshcap.theme', 'dark'));
    await page.reload();
    try {
      const figure = page.getByRole('figure', { name: 'Inbound sequence diagram' });
      await figure.locator('svg').first().waitFor({ timeout: 30_000 });
      // WCAG contrast of every message text against the box drawn behind it (or the card).
      const worst = await figure.evaluate((fig) => {
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: string) => {
          const [r, g, b] = rgb(c).map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        const ratio = (a: string, b: string) => {
          const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
          return (hi! + 0.05) / (lo! + 0.05);
        };
        const card = getComputedStyle(fig.closest('.card') ?? document.body).backgroundColor;
        const boxes = [...fig.querySelectorAll('rect.rect')].map((r) => ({ box: r.getBoundingClientRect(), fill: getComputedStyle(r).fill }));
        let min = Infinity;
        for (const t of fig.querySelectorAll('text.messageText')) {
          const b = t.getBoundingClientRect();
          const behind = boxes.find((x) => b.top >= x.box.top && b.bottom <= x.box.bottom && b.left >= x.box.left && b.right <= x.box.right);
          min = Math.min(min, ratio(getComputedStyle(t).fill, behind?.fill ?? card));
        }
        return { min, boxes: boxes.length };
      });
      expect(worst.boxes, 'the seed-style host boxes are drawn').toBeGreaterThan(0);
      expect(worst.min, 'the lowest contrast of a message text').toBeGreaterThanOrEqual(4.5);
      await screenshot(page, 'diagrams-frontend-dark');
      // The screenshot itself, compared with the light one: the diagram's pixels are mostly dark now.
      const dark = await meanLuminance(page, await figure.locator('svg').first().screenshot());
      await page.evaluate(() => window.localStorage.setItem('meshcap.theme', 'light'));
      await page.reload();
      await figure.locator('svg').first().waitFor({ timeout: 30_000 });
      const light = await meanLuminance(page, await figure.locator('svg').first().screenshot());
      expect(light, 'light diagram, mean luminance').toBeGreaterThan(0.6);
      expect(dark, 'dark diagram, mean luminance').toBeLessThan(0.35);
    } finally {
      await page.evaluate(() => window.localStorage.setItem('meshcap.theme', 'light'));
    }
  });
});

/** Mean relative luminance (0 black … 1 white) of a PNG screenshot, decoded by the page's own canvas. */
async function meanLuminance(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += (0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!) / 255;
    return sum / (data.length / 4);
  }, png.toString('base64'));
}
