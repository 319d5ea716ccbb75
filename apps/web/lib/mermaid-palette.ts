/**
 * The colours of mermaid diagrams in each app theme: mermaid's `base` theme with variables taken
 * from the app's palette (Tailwind slate/sky/amber), so a diagram sits on its card in light and dark.
 * Diagram text may also carry its own colours (`rect rgb(233,233,233)` boxes, as the seed
 * diagrams draw the host); in dark mode those are turned dark too, or light text lands on them.
 */
import type { Theme } from './theme.ts';

const LIGHT = {
  background: '#ffffff',
  fontFamily: 'ui-sans-serif, system-ui, sans-serif',
  primaryColor: '#e0f2fe',
  primaryBorderColor: '#0284c7',
  primaryTextColor: '#0f172a',
  lineColor: '#475569',
  actorBkg: '#e0f2fe',
  actorBorder: '#0284c7',
  actorTextColor: '#0f172a',
  actorLineColor: '#94a3b8',
  signalColor: '#334155',
  signalTextColor: '#0f172a',
  noteBkgColor: '#fef3c7',
  noteTextColor: '#1e293b',
  noteBorderColor: '#d97706',
  labelBoxBkgColor: '#f1f5f9',
  labelBoxBorderColor: '#94a3b8',
  labelTextColor: '#0f172a',
  loopTextColor: '#0f172a',
  activationBkgColor: '#f1f5f9',
  activationBorderColor: '#64748b',
  sequenceNumberColor: '#ffffff',
};

const DARK: typeof LIGHT = {
  background: '#0f172a',
  fontFamily: LIGHT.fontFamily,
  primaryColor: '#0c4a6e',
  primaryBorderColor: '#38bdf8',
  primaryTextColor: '#f1f5f9',
  lineColor: '#94a3b8',
  actorBkg: '#0c4a6e',
  actorBorder: '#38bdf8',
  actorTextColor: '#f1f5f9',
  actorLineColor: '#64748b',
  signalColor: '#cbd5e1',
  signalTextColor: '#f1f5f9',
  noteBkgColor: '#451a03',
  noteTextColor: '#fef3c7',
  noteBorderColor: '#f59e0b',
  labelBoxBkgColor: '#1e293b',
  labelBoxBorderColor: '#64748b',
  labelTextColor: '#f1f5f9',
  loopTextColor: '#f1f5f9',
  activationBkgColor: '#1e293b',
  activationBorderColor: '#94a3b8',
  sequenceNumberColor: '#0f172a',
};

/** mermaid.initialize's theme settings for the app theme. */
export function mermaidThemeConfig(theme: Theme): { theme: 'base'; darkMode: boolean; themeVariables: typeof LIGHT } {
  return { theme: 'base', darkMode: theme === 'dark', themeVariables: theme === 'dark' ? DARK : LIGHT };
}

const RECT_COLOUR = /^(\s*rect\s+)rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*([\d.]+)\s*)?\)/gm;

/** The diagram text with its own `rect` colours made dark (same hue, lightness turned over) in dark mode. */
export function themedDiagramText(text: string, theme: Theme): string {
  if (theme !== 'dark') return text;
  return text.replace(RECT_COLOUR, (_m, lead: string, r: string, g: string, b: string, a: string | undefined) => {
    const [h, s, l] = rgbToHsl(Number(r), Number(g), Number(b));
    // Dark, but not as dark as the card behind it, so the box still shows.
    const [dr, dg, db] = hslToRgb(h, s, Math.min(0.3, Math.max(0.16, 1 - l)));
    return `${lead}${a === undefined ? `rgb(${dr},${dg},${db})` : `rgba(${dr},${dg},${db},${a})`}`;
  });
}

function rgbToHsl(r: number, g: number, b: number): [number, number, number] {
  const [rn, gn, bn] = [r / 255, g / 255, b / 255];
  const max = Math.max(rn, gn, bn);
  const min = Math.min(rn, gn, bn);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === rn ? (gn - bn) / d + (gn < bn ? 6 : 0) : max === gn ? (bn - rn) / d + 2 : (rn - gn) / d + 4;
  return [h / 6, s, l];
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  if (s === 0) {
    const v = Math.round(l * 255);
    return [v, v, v];
  }
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [channel(h + 1 / 3), channel(h), channel(h - 1 / 3)].map((c) => Math.round(c * 255)) as [number, number, number];
}
