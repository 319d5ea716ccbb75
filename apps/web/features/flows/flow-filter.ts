import type { Flow } from './api/types.ts';
import { searchableText } from './flow-text.ts';

export interface FlowFilters {
  dataplane: string;
  direction: string;
  verdict: string;
  protocol: string;
  /**
   * Free text: every word must occur in what the table shows of the flow (`GET /counter → 403`) or in
   * its ids (flow, connection, `x-request-id`), listener, cluster or reason. Case does not matter.
   */
  text: string;
}

export const NO_FILTERS: FlowFilters = { dataplane: '', direction: '', verdict: '', protocol: '', text: '' };

/** Query-string keys of the filters (`?verdict=denied&q=GET+%2Fcounter`). */
const URL_KEYS: Record<keyof FlowFilters, string> = { dataplane: 'dataplane', direction: 'direction', verdict: 'verdict', protocol: 'protocol', text: 'q' };

export function flowFiltersFromUrl(params: URLSearchParams): FlowFilters {
  const out = { ...NO_FILTERS };
  for (const k of Object.keys(URL_KEYS) as Array<keyof FlowFilters>) out[k] = params.get(URL_KEYS[k]) ?? '';
  return out;
}

export function flowFiltersToUrl(filters: FlowFilters): Record<string, string> {
  return Object.fromEntries((Object.keys(URL_KEYS) as Array<keyof FlowFilters>).map((k) => [URL_KEYS[k], filters[k]]));
}

export function filterFlows(flows: Flow[], filters: FlowFilters): Flow[] {
  const words = filters.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!filters.dataplane && !filters.direction && !filters.verdict && !filters.protocol && words.length === 0) return flows;
  return flows.filter(
    (f) =>
      (!filters.dataplane || f.dataplane === filters.dataplane) &&
      (!filters.direction || f.direction === filters.direction) &&
      (!filters.verdict || f.verdict === filters.verdict) &&
      (!filters.protocol || f.protocol === filters.protocol) &&
      (words.length === 0 || matchesAll(searchableText(f).toLowerCase(), words)),
  );
}

function matchesAll(text: string, words: string[]): boolean {
  return words.every((w) => text.includes(w));
}
