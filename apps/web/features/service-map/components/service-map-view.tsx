'use client';

import { useMemo } from 'react';
import { ErrorBox } from '../../../components/error-box.tsx';
import { Empty, Loading } from '../../../components/query-state.tsx';
import { useNow } from '../../../lib/use-now.ts';
import { useDataplanesOfMeshes } from '../../dataplanes/api/get-dataplanes.ts';
import { useFlowStream, useLiveFlows } from '../../flows/api/stream-flows.ts';
import { StreamIndicator } from '../../flows/components/stream-indicator.tsx';
import { ERROR_RATE_COUNTS } from '../../flows/flow-verdict.ts';
import { useMeshes } from '../../meshes/api/get-meshes.ts';
import { serviceGraph } from '../service-graph.ts';
import { ServiceMap } from './service-map.tsx';

/** The service map of every mesh, from the live flows, redrawn every couple of seconds. */
export function ServiceMapView() {
  const meshes = useMeshes();
  const names = useMemo(() => meshes.data?.items.map((m) => m.name) ?? [], [meshes.data]);
  const dpQueries = useDataplanesOfMeshes(names);
  const dataplanes = useMemo(() => dpQueries.flatMap((q) => q.data?.items ?? []), [dpQueries]);
  const stream = useFlowStream();
  const live = useLiveFlows();
  const now = useNow(2_000);
  const graph = useMemo(() => serviceGraph(live.flows, dataplanes, now), [live.flows, dataplanes, now]);

  const failed = meshes.error ?? dpQueries.find((q) => q.isError)?.error;
  if (failed) return <ErrorBox title="Could not load the mesh's dataplanes" error={failed} />;
  if (meshes.isPending || dpQueries.some((q) => q.isPending)) return <Loading label="services" />;
  if (graph.nodes.length === 0) return <Empty>No services yet: services appear here once dataplanes register.</Empty>;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="muted text-xs">
          Requests per second, error share ({ERROR_RATE_COUNTS}) and p99 latency over the last {Math.round(graph.windowS)} s of flows · a red dashed edge had denials · click a
          service for its metrics and dataplanes, an edge for its flows
        </p>
        <StreamIndicator status={stream.status} />
      </div>
      <div className="card p-3">
        <ServiceMap graph={graph} />
      </div>
    </div>
  );
}
