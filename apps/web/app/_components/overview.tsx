'use client';

import Link from 'next/link';
import { useMemo } from 'react';
import { ErrorBox } from '~/components/error-box.tsx';
import { Empty, Loading, QueryState } from '~/components/query-state.tsx';
import { PageTitle, Panel } from '~/components/page-title.tsx';
import { useDataplanesOfMeshes } from '~/features/dataplanes/api/get-dataplanes.ts';
import type { DataplaneSummary } from '~/features/dataplanes/api/types.ts';
import { DataplaneTable } from '~/features/dataplanes/components/dataplane-table.tsx';
import { dataplaneHref, meshHref } from '~/features/dataplanes/dataplane-href.ts';
import { useFlowStream, useLiveFlows } from '~/features/flows/api/stream-flows.ts';
import { FlowRateChart } from '~/features/flows/components/flow-rate-chart.tsx';
import { StreamIndicator } from '~/features/flows/components/stream-indicator.tsx';
import { ERROR_RATE_COUNTS, isErrorFlow } from '~/features/flows/flow-verdict.ts';
import { useMeshes } from '~/features/meshes/api/get-meshes.ts';
import { formatAgo, formatClock, formatHostPort } from '~/lib/format.ts';
import { useNow } from '~/lib/use-now.ts';

export function Overview() {
  const meshes = useMeshes();
  const names = useMemo(() => meshes.data?.items.map((m) => m.name) ?? [], [meshes.data]);
  const dpQueries = useDataplanesOfMeshes(names);
  const dataplanes = dpQueries.flatMap((q) => q.data?.items ?? []);
  const dpError = dpQueries.find((q) => q.isError)?.error;
  const dpLoading = meshes.isPending || dpQueries.some((q) => q.isPending);
  const now = useNow();
  const stream = useFlowStream();
  const live = useLiveFlows();

  return (
    <>
      <PageTitle title="Overview" />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Panel title="Meshes">
          <QueryState query={meshes} label="meshes" isEmpty={(d) => d.items.length === 0}>
            {(d) => (
              <ul className="space-y-2" aria-label="Meshes">
                {d.items.map((m) => (
                  <li key={m.name} className="flex items-center justify-between gap-2">
                    <Link className="link font-medium" href={meshHref(m.name)}>
                      {m.name}
                    </Link>
                    <span className="muted text-xs tabular-nums">
                      {m.dataplanes.online}/{m.dataplanes.total} dataplanes online · {m.policies} {m.policies === 1 ? 'policy' : 'policies'}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </QueryState>
        </Panel>
        <Panel
          title="Live traffic"
          className="lg:col-span-2"
          actions={
            <span className="flex items-center gap-4">
              <StreamIndicator status={stream.status} />
              <Link className="link text-xs" href="/flows">
                All flows →
              </Link>
            </span>
          }
        >
          <FlowRateChart flows={live.flows} />
        </Panel>
      </div>

      <Panel title="Dataplanes" className="mt-4">
        {dpError ? (
          <ErrorBox title="Could not load dataplanes" error={dpError} onRetry={() => dpQueries.forEach((q) => void q.refetch())} />
        ) : meshes.isError ? (
          <ErrorBox title="Could not load meshes" error={meshes.error} onRetry={() => void meshes.refetch()} />
        ) : dpLoading ? (
          <Loading label="dataplanes" />
        ) : dataplanes.length === 0 ? (
          <Empty>No dataplanes yet. Start one with `meshcap dp --dataplane-file dp.yaml`.</Empty>
        ) : (
          <DataplaneTable dataplanes={dataplanes} now={now} />
        )}
      </Panel>

      <RecentErrors dataplanes={dataplanes} flows={live.flows} now={now} />
    </>
  );
}

function RecentErrors({ dataplanes, flows, now }: { dataplanes: DataplaneSummary[]; flows: ReturnType<typeof useLiveFlows>['flows']; now: number }) {
  const dpErrors = dataplanes
    .flatMap((dp) => dp.errors.map((e) => ({ dp, e })))
    .sort((a, b) => (a.e.time < b.e.time ? 1 : -1))
    .slice(0, 6);
  const flowErrors = useMemo(() => flows.filter(isErrorFlow).slice(0, 8), [flows]);
  return (
    <Panel title="Recent errors" className="mt-4">
      {dpErrors.length === 0 && flowErrors.length === 0 ? (
        <Empty>No errors. Dataplane NACKs and flows with errors ({ERROR_RATE_COUNTS}) show up here.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800" aria-label="Recent errors">
          {dpErrors.map(({ dp, e }, i) => (
            <li key={`dp-${i}`} className="flex items-baseline gap-3 py-1.5">
              <span className="muted w-20 shrink-0 text-xs">{formatAgo(e.time, now)}</span>
              <Link className="link shrink-0 font-medium" href={dataplaneHref(dp.mesh, dp.name)}>
                {dp.name}
              </Link>
              <span className="min-w-0 truncate">
                {e.version && <span className="font-mono text-xs">config {e.version}: </span>}
                {e.message}
              </span>
            </li>
          ))}
          {flowErrors.map((f) => (
            <li key={f.id} className="flex items-baseline gap-3 py-1.5">
              <span className="muted w-20 shrink-0 font-mono text-xs">{formatClock(f.start)}</span>
              <Link className="link shrink-0 font-medium" href={dataplaneHref(f.mesh, f.dataplane, 'flows')}>
                {f.dataplane}
              </Link>
              <span className="min-w-0 truncate">
                {f.direction} to <span className="font-mono text-xs">{formatHostPort(f.destination.address, f.destination.port)}</span>
                {f.http && ` ${f.http.method} ${f.http.path} → ${f.http.status ?? 'no status'}`}
                {f.reason && <span className="text-rose-700 dark:text-rose-300"> · {f.reason}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
