import { findConfig, type EnvoyConfigDump } from '@meshcap/core';

type Json = Record<string, unknown>;

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.flatMap((f) => (typeof (f as Json)?.name === 'string' ? [(f as Json).name as string] : [])) : [];
}

/**
 * Filter names of one listener in chain order, read from its config dump: listener filters, then
 * each network filter, with an HTTP connection manager's HTTP filters after it.
 */
export function listenerFilters(dump: EnvoyConfigDump, listenerName: string): string[] {
  const listeners = findConfig(dump, 'envoy.admin.v3.ListenersConfigDump') as Json | undefined;
  const entries = [...((listeners?.dynamic_listeners as Json[] | undefined) ?? []), ...((listeners?.static_listeners as Json[] | undefined) ?? [])];
  const entry = entries.find((e) => e.name === listenerName || ((e.listener as Json | undefined)?.name as string | undefined) === listenerName);
  const listener = ((entry?.active_state as Json | undefined)?.listener ?? entry?.listener) as Json | undefined;
  if (!listener) return [];
  const out = names(listener.listener_filters);
  for (const chain of (listener.filter_chains as Json[] | undefined) ?? []) {
    for (const filter of (chain.filters as Json[] | undefined) ?? []) {
      if (typeof filter.name === 'string') out.push(filter.name);
      out.push(...names((filter.typed_config as Json | undefined)?.http_filters));
    }
  }
  return [...new Set(out)];
}
