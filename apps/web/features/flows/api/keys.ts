import type { FlowQuery } from './types.ts';

export const flowKeys = {
  all: ['flows'] as const,
  /** The live buffer the SSE stream writes into (newest first). */
  live: () => [...flowKeys.all, 'live'] as const,
  list: (q: FlowQuery) => [...flowKeys.all, 'list', q] as const,
  one: (id: string) => [...flowKeys.all, 'one', id] as const,
  diagram: (id: string) => [...flowKeys.all, 'diagram', id] as const,
  reasons: () => [...flowKeys.all, 'reasons'] as const,
};
