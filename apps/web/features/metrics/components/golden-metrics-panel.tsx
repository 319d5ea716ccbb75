'use client';

import type { ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { formatCount, formatMs } from '../../../lib/format.ts';
import { useUrlState } from '../../../lib/url-state.ts';
import { METRICS_WINDOWS, useGoldenMetrics, type GoldenMetrics, type MetricsScope, type MetricsWindow } from '../api/get-golden-metrics.ts';

const CHART_HEIGHT = 180;

/**
 * Series colours, readable on the light and the dark card alike. Errors by kind: an upstream's 5xx,
 * a denial, another local reply (fault, proxy failure), an upstream's 4xx.
 */
export const SERIES = {
  rate: '#0284c7',
  upstream5xx: '#e11d48',
  denied: '#d97706',
  localReplies: '#7c3aed',
  upstream4xx: '#0d9488',
  p50: '#0284c7',
  p90: '#7c3aed',
  p99: '#e11d48',
} as const;

export const ERROR_SERIES: ReadonlyArray<{ key: 'upstream5xx' | 'denied' | 'localReplies' | 'upstream4xx'; name: string }> = [
  { key: 'upstream5xx', name: 'upstream 5xx' },
  { key: 'denied', name: 'denied by a policy' },
  { key: 'localReplies', name: 'other local replies' },
  { key: 'upstream4xx', name: 'upstream 4xx' },
];

const pad = (n: number) => String(n).padStart(2, '0');
/** `14:05` (or `14:05:30` for the 5-minute window, where steps are seconds apart). */
function clockTick(t: number, seconds: boolean): string {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

function isWindow(v: string | null): v is MetricsWindow {
  return METRICS_WINDOWS.some((w) => w.value === v);
}

/** The metrics window the URL holds (`?window=15m`; none: 5 minutes) and its writer. */
export function useMetricsWindow(): [MetricsWindow, (w: MetricsWindow) => void] {
  const [url, writeUrl] = useUrlState();
  const raw = url.get('window');
  return [isWindow(raw) ? raw : '5m', (w) => writeUrl({ window: w === '5m' ? null : w })];
}

/**
 * The golden metrics of a service or a dataplane as three time-series charts (request rate,
 * errors by kind, latency p50/p90/p99) over the window chosen in the URL (`?window=15m`).
 */
export function GoldenMetricsPanel({ scope, title = 'Golden metrics' }: { scope: MetricsScope; title?: string }) {
  const [window, setWindow] = useMetricsWindow();
  const q = useGoldenMetrics(scope, window);
  return (
    <Panel title={title} actions={<WindowPicker value={window} onChange={setWindow} />}>
      <QueryState query={q} label="metrics">
        {(m) => <GoldenCharts metrics={m} />}
      </QueryState>
    </Panel>
  );
}

function WindowPicker({ value, onChange }: { value: MetricsWindow; onChange: (w: MetricsWindow) => void }) {
  return (
    <div role="group" aria-label="Time window" className="flex gap-1">
      {METRICS_WINDOWS.map((w) => (
        <button
          key={w.value}
          type="button"
          aria-pressed={w.value === value}
          onClick={() => onChange(w.value)}
          className={`btn px-2 py-0.5 text-xs ${w.value === value ? 'bg-sky-700 text-white dark:bg-sky-400 dark:text-slate-950' : 'border border-slate-300 text-slate-700 hover:bg-slate-50 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800'}`}
        >
          Last {w.label}
        </button>
      ))}
    </div>
  );
}

export function GoldenCharts({ metrics: m }: { metrics: GoldenMetrics }) {
  const t = m.totals;
  const seconds = m.stepS < 60;
  const label = METRICS_WINDOWS.find((w) => w.value === m.window)?.label ?? m.window;
  const covered = m.oldestFlow !== null && m.oldestFlow > m.from ? ` (flows held since ${clockTick(m.oldestFlow, true)})` : '';
  const xAxis = (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={[m.from, m.to]}
      tickFormatter={(v: number) => clockTick(v, seconds)}
      tickCount={6}
      minTickGap={24}
      fontSize={11}
      height={24}
    />
  );
  const tooltipLabel = (v: unknown) => (typeof v === 'number' ? clockTick(v, true) : String(v));
  return (
    <div className="space-y-4">
      <p className="text-sm" aria-label="Totals">
        Last {label}
        {covered}: <b>{formatCount(t.requests)}</b> requests, <b>{t.rate.toFixed(2)}</b>/s · errors: {formatCount(t.upstream5xx)} 5xx, {formatCount(t.denied)} denied,{' '}
        {formatCount(t.localReplies)} other local replies, {formatCount(t.upstream4xx)} 4xx · latency p50 {formatMs(t.p50Ms)}, p90 {formatMs(t.p90Ms)}, p99 {formatMs(t.p99Ms)}
      </p>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-3">
        <ChartFigure label="Request rate chart" caption={`Requests per second, ${m.stepS} s steps (local time)`}>
          <LineChart data={m.points} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
            <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
            {xAxis}
            <YAxis allowDecimals fontSize={11} width={52} label={{ value: 'req/s', angle: -90, position: 'insideLeft', fontSize: 11 }} />
            <Tooltip labelFormatter={tooltipLabel} formatter={(v) => [`${Number(v).toFixed(2)} req/s`, 'rate']} />
            <Line dataKey="rate" name="requests/s" stroke={SERIES.rate} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartFigure>
        <ChartFigure label="Errors chart" caption={`Errors by kind, counted per ${m.stepS} s step (local time)`}>
          <BarChart data={m.points} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
            <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
            {xAxis}
            <YAxis allowDecimals={false} fontSize={11} width={52} label={{ value: `errors / ${m.stepS} s`, angle: -90, position: 'insideLeft', fontSize: 11 }} />
            <Tooltip labelFormatter={tooltipLabel} />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {ERROR_SERIES.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.name} stackId="errors" fill={SERIES[s.key]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ChartFigure>
        <ChartFigure label="Latency chart" caption={`Latency percentiles (total duration) per ${m.stepS} s step (local time)`}>
          <LineChart data={m.points} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
            <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
            {xAxis}
            <YAxis fontSize={11} width={52} label={{ value: 'ms', angle: -90, position: 'insideLeft', fontSize: 11 }} />
            <Tooltip labelFormatter={tooltipLabel} formatter={(v, name) => [formatMs(Number(v)), name]} />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            <Line dataKey="p50Ms" name="p50" stroke={SERIES.p50} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line dataKey="p90Ms" name="p90" stroke={SERIES.p90} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line dataKey="p99Ms" name="p99" stroke={SERIES.p99} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartFigure>
      </div>
    </div>
  );
}

/** A chart with its name for assistive technology and a caption saying what it plots and in which unit. */
export function ChartFigure({ label, caption, height = CHART_HEIGHT, children }: { label: string; caption: string; height?: number; children: ReactElement }) {
  return (
    <figure aria-label={label} className="chart min-w-0">
      <figcaption className="muted mb-1 text-xs">{caption}</figcaption>
      <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 480, height }}>
        {children}
      </ResponsiveContainer>
    </figure>
  );
}
