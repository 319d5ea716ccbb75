import { beforeAll, describe, expect, it } from 'vitest';
import { installLayoutPolyfill } from '../test/layout-polyfill.ts';
import { mermaidThemeConfig, themedDiagramText } from './mermaid-palette.ts';
import { renderMermaid } from './mermaid-render.ts';

beforeAll(installLayoutPolyfill);

// The seed diagrams draw the host as a light grey box; the messages in it are drawn in the theme's text colour.
const HOST_BOX = `sequenceDiagram
  participant Kernel as Kernel
  participant In as meshcap dp
  rect rgb(233,233,233)
  Kernel->>In: REDIRECT to 15006
  end`;

/** WCAG contrast ratio of two `#rrggbb` / `rgb(r,g,b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const v = c.startsWith('#') ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : c.match(/\d+/g)!.slice(0, 3).map(Number);
    const [r, g, bl] = v.map((x) => {
      const s = x / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const rectFill = (svg: string) => /<rect[^>]*fill="([^"]+)"[^>]*class="rect"/.exec(svg)?.[1];

describe('diagram colours follow the app theme', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme}: text is readable on the background, on actors, on notes and inside the diagram's own boxes`, async () => {
      const v = mermaidThemeConfig(theme).themeVariables;
      expect(mermaidThemeConfig(theme).darkMode).toBe(theme === 'dark');
      const svg = await renderMermaid(HOST_BOX, theme);
      const box = rectFill(svg)!;
      expect(box).toMatch(/^rgb\(/);
      expect(contrast(v.signalTextColor, box), `message text on the host box (${box})`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v.signalTextColor, v.background)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v.actorTextColor, v.actorBkg)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v.noteTextColor, v.noteBkgColor)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v.loopTextColor, v.background)).toBeGreaterThanOrEqual(4.5);
    }, 30_000);
  }

  it("dark mode keeps a box's hue and alpha, makes it dark, and leaves light mode's text as it is", () => {
    expect(themedDiagramText('  rect rgba(255, 240, 200, 0.5)\n', 'dark')).toMatch(/^ {2}rect rgba\(\d+,\d+,\d+,0\.5\)\n$/);
    const [r, g, b] = themedDiagramText('rect rgb(255,240,200)', 'dark').match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(b!); // still warm
    expect(Math.max(r!, g!, b!)).toBeLessThan(100);
    expect(themedDiagramText(HOST_BOX, 'light')).toBe(HOST_BOX);
    // a message that happens to mention rect colours is not a rect line
    expect(themedDiagramText('  A->>B: rect rgb(233,233,233)', 'dark')).toBe('  A->>B: rect rgb(233,233,233)');
  });
});
