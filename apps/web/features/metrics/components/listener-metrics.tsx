'use client';

import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { formatCount, formatMs } from '../../../lib/format.ts';
import { METRICS_WINDOWS, useGoldenMetrics, type ListenerMetrics as ListenerMetricsRow } from '../api/get-golden-metrics.ts';
import { ChartFigure, SERIES, useMetricsWindow } from './golden-metrics-panel.tsx';

/** `≤ 0.5 ms`, `≤ 1 s`, `> 60 s`: a histogram bucket by its upper bound. */
export function bucketLabel(leMs: number | null, previous: number | undefined): string {
  if (leMs === null) return `> ${previous !== undefined ? formatBound(previous) : '0'}`;
  return `≤ ${formatBound(leMs)}`;
}

function formatBound(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Per listener of one dataplane: the requests it handled in the window, errors by kind, latency
 * percentiles, and a latency histogram in Envoy's buckets (the flows' total durations).
 */
export function ListenerMetrics({ mesh, name }: { mesh: string; name: string }) {
  const [window] = useMetricsWindow();
  const q = useGoldenMetrics({ kind: 'dataplane', mesh, name }, window);
  const label = METRICS_WINDOWS.find((w) => w.value === window)!.label;
  return (
    <Panel title="Requests and latency per listener">
      <QueryState query={q} label="listener metrics" isEmpty={(m) => m.listeners.length === 0} empty={`No flow through any listener of ${name} in the last ${label}.`}>
        {(m) => (
          <div className="space-y-2">
            <p className="muted text-xs">From the flows of the last {label}: counted per listener, latency is each flow&apos;s total duration.</p>
            <table className="w-full table-fixed text-sm" aria-label="Listener metrics">
              <thead className="border-b border-slate-200 text-left text-xs font-medium tracking-wide text-slate-600 uppercase dark:border-slate-800 dark:text-slate-400">
                <tr>
                  <th className="w-[24%] px-2 py-2">Listener</th>
                  <th className="w-[9%] px-2 py-2 text-right">Requests</th>
                  <th className="w-[20%] px-2 py-2">Errors</th>
                  <th className="w-[17%] px-2 py-2">p50 · p90 · p99</th>
                  <th className="w-[30%] px-2 py-2">Latency histogram</th>
                </tr>
              </thead>
              <tbody>
                {m.listeners.map((l) => (
                  <ListenerRow key={l.listener} l={l} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </Panel>
  );
}

function ListenerRow({ l }: { l: ListenerMetricsRow }) {
  const data = l.histogram.map((b, i) => ({ bucket: bucketLabel(b.leMs, l.histogram[i - 1]?.leMs ?? undefined), count: b.count }));
  // Trim the empty buckets at both ends so the bars that matter have room.
  const first = Math.max(0, data.findIndex((d) => d.count > 0) - 1);
  const lastIndex = data.length - 1 - [...data].reverse().findIndex((d) => d.count > 0);
  const shown = data.slice(first, Math.min(data.length, lastIndex + 2));
  return (
    <tr className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/70">
      <th scope="row" className="px-2 py-2 text-left font-mono text-xs font-medium break-all">
        {l.listener} <span className="muted block font-sans font-normal">{l.direction}</span>
      </th>
      <td className="px-2 py-2 text-right tabular-nums">{formatCount(l.requests)}</td>
      <td className="px-2 py-2 text-xs">
        {formatCount(l.upstream5xx)} 5xx · {formatCount(l.denied)} denied · {formatCount(l.localReplies)} local · {formatCount(l.upstream4xx)} 4xx
      </td>
      <td className="px-2 py-2 font-mono text-xs">
        {formatMs(l.p50Ms)} · {formatMs(l.p90Ms)} · {formatMs(l.p99Ms)}
      </td>
      <td className="px-2 py-2">
        <ChartFigure label={`Latency histogram of ${l.listener}`} caption="flows per latency bucket" height={120}>
          <BarChart data={shown} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} className="chart-grid" />
            <XAxis dataKey="bucket" fontSize={10} interval={0} angle={-30} textAnchor="end" height={40} />
            <YAxis allowDecimals={false} fontSize={10} width={36} label={{ value: 'flows', angle: -90, position: 'insideLeft', fontSize: 10 }} />
            <Tooltip />
            <Bar dataKey="count" name="flows" fill={SERIES.rate} isAnimationActive={false} />
          </BarChart>
        </ChartFigure>
      </td>
    </tr>
  );
}
