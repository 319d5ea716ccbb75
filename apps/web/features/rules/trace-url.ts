import { dataplaneHref } from '../dataplanes/dataplane-href.ts';

/** Query-string keys of the trace form on a dataplane's Rules tab (`?tdir=outbound&tsrc=…&trace=1`). */
export const TRACE_URL_KEYS = { direction: 'tdir', src: 'tsrc', dst: 'tdst', port: 'tport', uid: 'tuid', run: 'trace' } as const;

export interface TraceTarget {
  mesh: string;
  dataplane: string;
  direction: 'inbound' | 'outbound';
  src: string;
  dst: string;
  port: number;
}

/** The Rules tab of a dataplane with the packet trace filled in, run as soon as the page opens. */
export function traceHref(t: TraceTarget): string {
  const q = new URLSearchParams({
    [TRACE_URL_KEYS.direction]: t.direction,
    [TRACE_URL_KEYS.src]: t.src,
    [TRACE_URL_KEYS.dst]: t.dst,
    [TRACE_URL_KEYS.port]: String(t.port),
    [TRACE_URL_KEYS.run]: '1',
  });
  return `${dataplaneHref(t.mesh, t.dataplane, 'rules')}?${q.toString()}`;
}
