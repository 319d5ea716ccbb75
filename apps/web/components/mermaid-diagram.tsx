'use client';

import { useEffect, useState, useSyncExternalStore } from 'react';
import { renderMermaid } from '../lib/mermaid-render.ts';
import { currentTheme, subscribeTheme } from '../lib/theme.ts';
import { SourceDetails } from './source-details.tsx';

type State = { status: 'rendering' } | { status: 'done'; svg: string } | { status: 'error'; message: string };

/** A mermaid diagram rendered to SVG in the browser, or an error box naming what is wrong with the text. */
export function MermaidDiagram({ text, label }: { text: string; label: string }) {
  const theme = useSyncExternalStore(subscribeTheme, currentTheme, () => 'light' as const);
  const [state, setState] = useState<State>({ status: 'rendering' });

  useEffect(() => {
    let live = true;
    setState({ status: 'rendering' });
    renderMermaid(text, theme).then(
      (svg) => live && setState({ status: 'done', svg }),
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
  return (
    <figure role="figure" aria-label={label} aria-busy={state.status === 'rendering'} className="min-h-16">
      {state.status === 'rendering' ? (
        <p role="status" className="muted p-4 text-sm">
          Drawing diagram…
        </p>
      ) : (
        <div className="mermaid-svg overflow-x-auto" dangerouslySetInnerHTML={{ __html: state.svg }} />
      )}
    </figure>
  );
}
