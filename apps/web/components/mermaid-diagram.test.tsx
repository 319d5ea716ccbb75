import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installLayoutPolyfill } from '../test/layout-polyfill.ts';
import { MermaidDiagram } from './mermaid-diagram.tsx';

// Real mermaid (loaded by the component's dynamic import) drawing into happy-dom, whose missing
// layout the polyfill supplies. Limit: happy-dom's HTML parser drops what follows a <style> inside
// <svg> when mermaid's sanitizer re-parses the SVG, so arrows and message labels are not in this
// DOM; the browser suite (e2e, Chromium) checks the full drawing.
beforeAll(installLayoutPolyfill);
afterEach(cleanup);

const SEED_STYLE = `sequenceDiagram
  autonumber
  participant Client as Client<br>(e.g. mobile app)
  participant Kernel as Kernel
  participant In as meshcap dp (15006)
  participant App as 198.18.0.3:5000<br>(backend)
  Client->>+Kernel: GET / HTTP1.1
  rect rgb(233,233,233)
  Note over Kernel,App: backend-1
  Kernel->>+In: REDIRECT to 15006
  In->>+App: original destination 198.18.0.3:5000
  end
  App-->>Client: 200`;

describe('MermaidDiagram', () => {
  it('renders mermaid text to an SVG', async () => {
    render(<MermaidDiagram text={SEED_STYLE} label="Inbound sequence diagram" />);
    const figure = screen.getByRole('figure', { name: 'Inbound sequence diagram' });
    await waitFor(() => expect(figure.getAttribute('aria-busy')).toBe('false'), { timeout: 15_000 });
    const svg = figure.querySelector('svg');
    expect(svg).toBeTruthy();
    expect(svg!.getAttribute('aria-roledescription')).toBe('sequence');
    expect(svg!.getAttribute('viewBox')).toMatch(/^-?\d+(\.\d+)? -?\d+(\.\d+)? \d+(\.\d+)? \d+(\.\d+)?$/);
    // every participant is drawn (top and bottom boxes)
    for (const name of ['Kernel', 'meshcap dp (15006)', '(backend)']) expect(svg!.textContent).toContain(name);
    expect(screen.queryByRole('alert')).toBeNull();
  }, 30_000);

  it('shows an error box, with the source, for text mermaid cannot parse', async () => {
    render(<MermaidDiagram text={'sequenceDiagram\n  Client->>: missing target\n  ???'} label="Broken diagram" />);
    const alert = await screen.findByRole('alert', { name: 'Broken diagram: diagram error' }, { timeout: 15_000 });
    expect(alert.textContent).toContain('This diagram could not be drawn.');
    expect(alert.textContent).toMatch(/Parse error|Expecting|Lexical error/);
    expect(alert.textContent).toContain('missing target');
    expect(screen.queryByRole('figure')).toBeNull();
    // mermaid's own error drawing is not left in the page
    expect(document.body.querySelectorAll('svg')).toHaveLength(0);
  }, 30_000);

  it('draws again when the text changes', async () => {
    const { rerender } = render(<MermaidDiagram text={'sequenceDiagram\n  A->>B: one'} label="D" />);
    await waitFor(() => expect(screen.getByRole('figure', { name: 'D' }).querySelector('svg')?.textContent).toContain('A'), { timeout: 15_000 });
    rerender(<MermaidDiagram text={'sequenceDiagram\n  Zed->>B: two'} label="D" />);
    await waitFor(() => expect(screen.getByRole('figure', { name: 'D' }).querySelector('svg')?.textContent).toContain('Zed'), { timeout: 15_000 });
  }, 30_000);

  it('zoomable: fits its box but never below minScale, zooms, and opens full size in a dialog that Escape closes alone', async () => {
    let outerEscapes = 0;
    const onWindowKey = (e: KeyboardEvent) => void (e.key === 'Escape' && outerEscapes++);
    window.addEventListener('keydown', onWindowKey);
    try {
      render(<MermaidDiagram text={SEED_STYLE} label="Flow sequence diagram" zoomable minScale={0.75} />);
      const figure = screen.getByRole('figure', { name: 'Flow sequence diagram' });
      await waitFor(() => expect(figure.querySelector('svg')).toBeTruthy(), { timeout: 15_000 });
      const drawn = Number(figure.querySelector('svg')!.getAttribute('viewBox')!.split(' ')[2]);
      const box = () => figure.querySelector<HTMLElement>('.mermaid-svg')!;
      // At a narrow width the diagram keeps 75 % of its drawn size (12 px text) and scrolls.
      expect(box().style.minWidth).toBe(`${Math.round(drawn * 0.75)}px`);
      const toolbar = within(figure).getByRole('toolbar', { name: 'Flow sequence diagram zoom' });
      fireEvent.click(within(toolbar).getByRole('button', { name: 'Zoom in' }));
      expect(box().style.width).toBe(`${Math.round(drawn * 1.25)}px`);
      expect(toolbar.textContent).toContain('125 %');
      fireEvent.click(within(toolbar).getByRole('button', { name: 'Fit to width' }));
      expect(box().style.width).toBe('');

      fireEvent.click(within(toolbar).getByRole('button', { name: 'Open full size' }));
      const dialog = screen.getByRole('dialog', { name: 'Flow sequence diagram, full size' });
      expect(dialog.querySelector('svg')).toBeTruthy();
      expect(dialog.querySelector<HTMLElement>('.mermaid-svg')!.style.width).toBe(`${drawn}px`);
      fireEvent.keyDown(within(dialog).getByRole('button', { name: 'Close' }), { key: 'Escape' });
      expect(screen.queryByRole('dialog')).toBeNull();
      expect(outerEscapes).toBe(0);
    } finally {
      window.removeEventListener('keydown', onWindowKey);
    }
  }, 30_000);
});
