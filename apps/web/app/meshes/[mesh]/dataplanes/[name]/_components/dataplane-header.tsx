'use client';

import { Breadcrumb } from '~/components/breadcrumb.tsx';
import { ErrorBox } from '~/components/error-box.tsx';
import { StatusBadge } from '~/components/status-badge.tsx';
import { useDataplane } from '~/features/dataplanes/api/get-dataplane.ts';
import { CaptureBadge } from '~/features/dataplanes/components/dataplane-table.tsx';
import { meshDataplanesHref, meshHref } from '~/features/dataplanes/dataplane-href.ts';
import { formatAgo } from '~/lib/format.ts';
import { useNow } from '~/lib/use-now.ts';

export function DataplaneHeader({ mesh, name }: { mesh: string; name: string }) {
  const dp = useDataplane(mesh, name);
  const now = useNow();
  return (
    <div className="mb-4">
      <Breadcrumb
        items={[
          { label: 'Overview', href: '/' },
          { label: `mesh ${mesh}`, href: meshHref(mesh) },
          { label: 'dataplanes', href: meshDataplanesHref(mesh) },
          { label: name },
        ]}
      />
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight">{name}</h1>
        {dp.data && (
          <>
            <StatusBadge connected={dp.data.connected} />
            <CaptureBadge mode={dp.data.captureMode} />
            <span className="muted flex items-baseline gap-1 text-sm">
              config{' '}
              <span className="font-mono text-slate-700 dark:text-slate-300" aria-label="Config version">
                {dp.data.configVersion ?? '—'}
              </span>
              {!dp.data.upToDate && dp.data.expectedVersion && (
                <span className="font-mono text-xs text-amber-700 dark:text-amber-400" title="compiled by the control plane, not yet ACKed by the dataplane">
                  → {dp.data.expectedVersion}
                </span>
              )}
            </span>
            <span className="muted text-sm">last seen {formatAgo(dp.data.lastSeen, now)}</span>
          </>
        )}
      </div>
      {dp.isError && (
        <div className="mt-3">
          <ErrorBox title={`Could not load dataplane ${name}`} error={dp.error} onRetry={() => void dp.refetch()} />
        </div>
      )}
    </div>
  );
}
