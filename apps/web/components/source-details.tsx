/** A closed-by-default block with the raw text behind a view (JSON, mermaid source). */
export function SourceDetails({ summary, text, className = '' }: { summary: string; text: string; className?: string }) {
  return (
    <details className={`min-w-0 ${className}`}>
      <summary className="cursor-pointer text-xs font-medium">{summary}</summary>
      <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs whitespace-pre-wrap break-all dark:bg-slate-950">{text}</pre>
    </details>
  );
}
