import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorBox } from './error-box.tsx';

/** Loading, error and empty states of one query, so every screen shows them the same way. */
export function QueryState<T>({
  query,
  label,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  /** What is loading, e.g. "dataplanes". */
  label: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={label} />;
  if (query.isError) return <ErrorBox title={`Could not load ${label}`} error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <Empty>{empty ?? `No ${label}.`}</Empty>;
  return <>{children(query.data)}</>;
}

export function Loading({ label }: { label: string }) {
  return (
    <div role="status" className="muted flex items-center gap-2 p-4 text-sm">
      <span aria-hidden className="size-3 animate-spin rounded-full border-2 border-slate-300 border-t-sky-500" />
      Loading {label}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="muted rounded-md border border-dashed border-slate-300 p-6 text-center text-sm dark:border-slate-700">{children}</div>;
}
