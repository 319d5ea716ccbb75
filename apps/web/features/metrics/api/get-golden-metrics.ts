import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import type { components } from '../../../lib/api-types.ts';
import { metricsKeys } from './keys.ts';

/** `GET .../services/{service}/metrics` or `.../dataplanes/{name}/metrics`: rate, errors by kind and latency per step, and per listener. */
export type GoldenMetrics = components['schemas']['GoldenMetrics'];
export type MetricsPoint = components['schemas']['MetricsPoint'];
export type ListenerMetrics = components['schemas']['ListenerMetrics'];
export type MetricsWindow = GoldenMetrics['window'];

export const METRICS_WINDOWS: ReadonlyArray<{ value: MetricsWindow; label: string }> = [
  { value: '5m', label: '5 min' },
  { value: '15m', label: '15 min' },
  { value: '60m', label: '60 min' },
];

/** Whose metrics: a service (its dataplanes' inbound flows) or one dataplane (its flows). */
export interface MetricsScope {
  kind: 'service' | 'dataplane';
  mesh: string;
  name: string;
}

export function getGoldenMetrics(scope: MetricsScope, window: MetricsWindow, signal?: AbortSignal): Promise<GoldenMetrics> {
  const kind = scope.kind === 'service' ? 'services' : 'dataplanes';
  return apiFetch<GoldenMetrics>(`/api/meshes/${seg(scope.mesh)}/${kind}/${seg(scope.name)}/metrics?window=${window}`, { signal });
}

export const goldenMetricsQueryOptions = (scope: MetricsScope, window: MetricsWindow) =>
  queryOptions({
    queryKey: metricsKeys.golden(scope, window),
    queryFn: ({ signal }) => getGoldenMetrics(scope, window, signal),
    refetchInterval: 5_000,
    // Switching the window keeps the old chart up until the new series arrives.
    placeholderData: keepPreviousData,
  });

export function useGoldenMetrics(scope: MetricsScope, window: MetricsWindow) {
  return useQuery(goldenMetricsQueryOptions(scope, window));
}
