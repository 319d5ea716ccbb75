import type { Flow } from './api/types.ts';

export interface FlowFilters {
  dataplane: string;
  direction: string;
  verdict: string;
  protocol: string;
  /** Free text: matched against ids, names, addresses, the HTTP request, policies and reasons. */
  text: string;
}

export const NO_FILTERS: FlowFilters = { dataplane: '', direction: '', verdict: '', protocol: '', text: '' };

function haystack(f: Flow): string {
  const parts = [
    f.id,
    f.dataplane,
    f.listener,
    f.cluster,
    `${f.client.address}:${f.client.port}`,
    `${f.destination.address}:${f.destination.port}`,
    f.upstream ? `${f.upstream.address}:${f.upstream.port}` : '',
    f.http ? `${f.http.method} ${f.http.authority}${f.http.path} ${f.http.status ?? ''}` : '',
    f.reason ?? '',
    ...f.policies.map((p) => `${p.type} ${p.name} ${p.action}`),
  ];
  return parts.join(' ').toLowerCase();
}

export function filterFlows(flows: Flow[], filters: FlowFilters): Flow[] {
  const text = filters.text.trim().toLowerCase();
  if (!filters.dataplane && !filters.direction && !filters.verdict && !filters.protocol && !text) return flows;
  return flows.filter(
    (f) =>
      (!filters.dataplane || f.dataplane === filters.dataplane) &&
      (!filters.direction || f.direction === filters.direction) &&
      (!filters.verdict || f.verdict === filters.verdict) &&
      (!filters.protocol || f.protocol === filters.protocol) &&
      (!text || haystack(f).includes(text)),
  );
}
