import type { StreamStatus } from '../api/stream-flows.ts';

/** Live / Paused / Connecting… / Reconnecting…, as a status with a colored dot. */
export function StreamIndicator({ status, paused = false }: { status: StreamStatus; paused?: boolean }) {
  const [text, dot] = paused
    ? ['Paused', 'bg-amber-500']
    : status === 'open'
      ? ['Live', 'bg-emerald-500 animate-pulse']
      : [status === 'reconnecting' ? 'Reconnecting…' : 'Connecting…', 'bg-slate-400'];
  return (
    <span role="status" aria-label={`Stream: ${text}`} className="flex items-center gap-1.5 text-xs font-medium">
      <span aria-hidden className={`size-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}
