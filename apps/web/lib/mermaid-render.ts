/**
 * Mermaid, loaded in the browser only (dynamic import: it is large and needs a DOM). Renders are
 * queued one at a time because mermaid keeps global state while it draws.
 */
import type { Mermaid } from 'mermaid';
import { mermaidThemeConfig, themedDiagramText } from './mermaid-palette.ts';
import type { Theme } from './theme.ts';

let loading: Promise<Mermaid> | null = null;
let queue: Promise<unknown> = Promise.resolve();
let seq = 0;

function load(): Promise<Mermaid> {
  loading ??= import('mermaid').then((m) => m.default);
  return loading;
}

export class DiagramSyntaxError extends Error {
  override name = 'DiagramSyntaxError';
}

/** SVG markup of a mermaid diagram; throws `DiagramSyntaxError` when the text does not parse. */
export function renderMermaid(source: string, theme: Theme): Promise<string> {
  const text = themedDiagramText(source, theme);
  const job = queue.then(async () => {
    const mermaid = await load();
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      ...mermaidThemeConfig(theme),
      sequence: { useMaxWidth: true, wrap: false },
    });
    try {
      await mermaid.parse(text);
    } catch (err) {
      throw new DiagramSyntaxError(firstLines(err instanceof Error ? err.message : String(err)));
    }
    const id = `mmd-${++seq}`;
    try {
      const { svg } = await mermaid.render(id, text);
      return svg;
    } finally {
      // mermaid leaves its scratch element behind when a render throws
      document.getElementById(`d${id}`)?.remove();
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 4).join('\n');
}
