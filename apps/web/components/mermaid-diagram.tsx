'use client';

import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { renderMermaid } from '../lib/mermaid-render.ts';
import { currentTheme, subscribeTheme } from '../lib/theme.ts';
import { SourceDetails } from './source-details.tsx';

type State = { status: 'rendering' } | { status: 'done'; svg: string; width: number } | { status: 'error'; message: string };

/** `fit`: as wide as the box, but not smaller than `minScale` of the drawn size (then it scrolls). */
type Zoom = 'fit' | number;

const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2];

/** The width mermaid drew at (its viewBox), in px at 100 %. */
function naturalWidth(svg: string): number {
  const m = /viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"/.exec(svg);
  return m ? Number(m[1]) : 0;
}

/**
 * A mermaid diagram rendered to SVG in the browser, or an error box naming what is wrong with the text.
 * With `zoomable`, it fits its box down to `minScale` of its drawn size (text stays readable in a
 * narrow drawer; wider diagrams scroll), has zoom buttons, and opens full size in a dialog.
 */
export function MermaidDiagram({ text, label, zoomable = false, minScale = 0 }: { text: string; label: string; zoomable?: boolean; minScale?: number }) {
  const theme = useSyncExternalStore(subscribeTheme, currentTheme, () => 'light' as const);
  const [state, setState] = useState<State>({ status: 'rendering' });
  const [zoom, setZoom] = useState<Zoom>('fit');
  const [full, setFull] = useState(false);

  useEffect(() => {
    let live = true;
    setState({ status: 'rendering' });
    renderMermaid(text, theme).then(
      (svg) => live && setState({ status: 'done', svg, width: naturalWidth(svg) }),
      (err: unknown) => live && setState({ status: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [text, theme]);

  if (state.status === 'error') {
    return (
      <div role="alert" aria-label={`${label}: diagram error`} className="rounded-md border border-rose-300 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
        <p className="font-medium">This diagram could not be drawn.</p>
        <pre className="mt-1 text-xs whitespace-pre-wrap">{state.message}</pre>
        <SourceDetails summary="Diagram source" text={text} className="mt-2" />
      </div>
    );
  }
  const step = (dir: 1 | -1) => {
    const now = zoom === 'fit' ? 1 : zoom;
    const next = dir > 0 ? ZOOM_STEPS.find((z) => z > now) : [...ZOOM_STEPS].reverse().find((z) => z < now);
    if (next !== undefined) setZoom(next);
  };
  const sized =
    state.status !== 'done' || !state.width
      ? undefined
      : zoom === 'fit'
        ? minScale > 0
          ? { minWidth: Math.round(state.width * minScale) }
          : undefined
        : { width: Math.round(state.width * zoom) };
  return (
    <figure role="figure" aria-label={label} aria-busy={state.status === 'rendering'} className="min-h-16">
      {state.status === 'rendering' ? (
        <p role="status" className="muted p-4 text-sm">
          Drawing diagram…
        </p>
      ) : (
        <>
          {zoomable && (
            <div role="toolbar" aria-label={`${label} zoom`} className="mb-1 flex items-center justify-end gap-1 text-xs">
              <span className="muted mr-1 tabular-nums" aria-live="polite">
                {zoom === 'fit' ? 'fit' : `${Math.round(zoom * 100)} %`}
              </span>
              <ZoomButton label="Zoom out" onClick={() => step(-1)} disabled={zoom !== 'fit' && zoom <= ZOOM_STEPS[0]!}>
                −
              </ZoomButton>
              <ZoomButton label="Zoom in" onClick={() => step(1)} disabled={zoom !== 'fit' && zoom >= ZOOM_STEPS[ZOOM_STEPS.length - 1]!}>
                +
              </ZoomButton>
              <ZoomButton label="Fit to width" onClick={() => setZoom('fit')} disabled={zoom === 'fit'}>
                Fit
              </ZoomButton>
              <ZoomButton label="Open full size" onClick={() => setFull(true)}>
                ⤢ Full size
              </ZoomButton>
            </div>
          )}
          {/* Focusable, so a keyboard can scroll a diagram wider than its box. */}
          <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={`${label}, scrollable`}>
            <div className={`mermaid-svg ${sized ? 'mermaid-svg-sized' : ''}`} style={sized} dangerouslySetInnerHTML={{ __html: state.svg }} />
          </div>
          {full && <FullSize label={label} svg={state.svg} onClose={() => setFull(false)} />}
        </>
      )}
    </figure>
  );
}

function ZoomButton({ label, onClick, disabled, children }: { label: string; onClick: () => void; disabled?: boolean; children: string }) {
  return (
    <button type="button" className="btn-secondary px-2 py-0.5 text-xs" aria-label={label} title={label} onClick={onClick} disabled={disabled}>
      {children}
    </button>
  );
}

/** The diagram at its drawn size over the page; Escape or Close returns to where it was opened. */
function FullSize({ label, svg, onClose }: { label: string; svg: string; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => opener?.focus();
  }, []);
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label={`${label}, full size`}
      className="fixed inset-0 z-50 flex flex-col bg-white/95 p-4 dark:bg-slate-950/95"
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        // Only this dialog closes: the drawer behind it listens for Escape too.
        e.stopPropagation();
        onClose();
      }}
    >
      <div className="mb-2 flex items-center justify-between gap-2">
        <h2 className="font-semibold">{label}</h2>
        <button ref={close} type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        <div className="mermaid-svg mermaid-svg-sized" style={{ width: naturalWidth(svg) || undefined }} dangerouslySetInnerHTML={{ __html: svg }} />
      </div>
    </div>
  );
}
