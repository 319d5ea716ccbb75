import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../../../test/api-fixture.ts';
import { installLayoutPolyfill } from '../../../test/layout-polyfill.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { GoldenMetrics } from '../api/get-golden-metrics.ts';
import { GoldenMetricsPanel } from './golden-metrics-panel.tsx';
import { bucketLabel, ListenerMetrics } from './listener-metrics.tsx';

installLayoutPolyfill();

const FROM = Date.UTC(2026, 11, 3, 12, 0, 0);
const zero = { upstream5xx: 0, upstream4xx: 0, denied: 0, localReplies: 0 };

function metrics(window: GoldenMetrics['window'], stepS: number): GoldenMetrics {
  const points = Array.from({ length: 60 }, (_, i) => ({
    t: FROM + i * stepS * 1000,
    requests: i === 59 ? 40 : 10,
    rate: (i === 59 ? 40 : 10) / stepS,
    ...zero,
    denied: i === 59 ? 3 : 0,
    upstream5xx: i === 58 ? 2 : 0,
    p50Ms: 2,
    p90Ms: 8,
    p99Ms: i === 59 ? 250 : 12,
  }));
  return {
    mesh: 'default',
    service: 'backend',
    dataplanes: ['backend'],
    window,
    stepS,
    from: FROM,
    to: FROM + 60 * stepS * 1000,
    oldestFlow: FROM - 1,
    totals: { requests: 630, rate: 630 / (60 * stepS), ...zero, denied: 3, upstream5xx: 2, localReplies: 1, p50Ms: 2, p90Ms: 8, p99Ms: 250 },
    points,
    listeners: [
      {
        listener: 'inbound:198.18.10.3:8080',
        direction: 'inbound',
        requests: 630,
        ...zero,
        denied: 3,
        p50Ms: 2,
        p90Ms: 8,
        p99Ms: 250,
        histogram: [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, null].map((leMs) => ({ leMs, count: leMs === 5 ? 500 : leMs === 250 ? 130 : 0 })),
      },
    ],
  };
}

describe('golden metrics charts', () => {
  let api: ApiFixture;
  beforeEach(async () => {
    api = await startApiFixture();
    api.on('GET', '/api/meshes/default/services/backend/metrics', (req, res) => {
      const w = new URL(req.url, 'http://x').searchParams.get('window');
      sendJson(res, 200, w === '15m' ? metrics('15m', 15) : metrics('5m', 5));
    });
    api.on('GET', '/api/meshes/default/dataplanes/backend/metrics', (_req, res) => sendJson(res, 200, { ...metrics('5m', 5), service: undefined, dataplane: 'backend' }));
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  it('draws rate, errors by kind and p50/p90/p99 as SVG charts with axes and units, and the window goes in the URL', { timeout: 30_000 }, async () => {
    renderApp(<GoldenMetricsPanel scope={{ kind: 'service', mesh: 'default', name: 'backend' }} />);
    const totals = await screen.findByLabelText('Totals', undefined, { timeout: 10_000 });
    expect(totals.textContent).toBe(
      'Last 5 min: 630 requests, 2.10/s · errors: 2 5xx, 3 denied, 1 other local replies, 0 4xx · latency p50 2.0 ms, p90 8.0 ms, p99 250 ms',
    );
    const rate = screen.getByRole('figure', { name: 'Request rate chart' });
    await waitFor(() => expect(rate.querySelector('svg .recharts-line-curve')).toBeTruthy(), { timeout: 10_000 });
    const text = (fig: HTMLElement) => [...fig.querySelectorAll('svg text')].map((t) => t.textContent).join(' ');
    expect(text(rate)).toContain('req/s');
    expect(rate.querySelector('figcaption')!.textContent).toBe('Requests per second, 5 s steps (local time)');
    // The x axis is the clock: 12:00:00 … in local time of FROM.
    const hh = String(new Date(FROM).getHours()).padStart(2, '0');
    expect(text(rate)).toMatch(new RegExp(`${hh}:0\\d:\\d\\d`));
    const errors = screen.getByRole('figure', { name: 'Errors chart' });
    expect(text(errors)).toContain('errors / 5 s');
    expect(errors.textContent).toContain('denied by a policy');
    expect(errors.textContent).toContain('upstream 5xx');
    expect(errors.textContent).toContain('other local replies');
    // One stacked series per error kind.
    expect(errors.querySelectorAll('.recharts-bar').length).toBe(4);
    const latency = screen.getByRole('figure', { name: 'Latency chart' });
    expect(text(latency)).toContain('ms');
    expect(latency.querySelectorAll('.recharts-line-curve').length).toBe(3);
    expect(latency.textContent).toMatch(/p50.*p90.*p99/);

    fireEvent.click(within(screen.getByRole('group', { name: 'Time window' })).getByRole('button', { name: 'Last 15 min' }));
    await waitFor(() => expect(screen.getByLabelText('Totals').textContent).toMatch(/^Last 15 min:/), { timeout: 10_000 });
    expect(new URL(window.location.href).searchParams.get('window')).toBe('15m');
    expect(text(screen.getByRole('figure', { name: 'Errors chart' }))).toContain('errors / 15 s');
    expect(api.requests.some((r) => r.url.endsWith('window=15m'))).toBe(true);
    window.history.replaceState(null, '', window.location.pathname);
  });

  it('shows per listener its counters and a latency histogram in Envoy buckets', { timeout: 30_000 }, async () => {
    renderApp(<ListenerMetrics mesh="default" name="backend" />);
    const table = await screen.findByRole('table', { name: 'Listener metrics' }, { timeout: 10_000 });
    const row = within(table).getByRole('rowheader', { name: /inbound:198\.18\.10\.3:8080/ }).closest('tr')!;
    expect(row.textContent).toContain('630');
    expect(row.textContent).toContain('0 5xx · 3 denied · 0 local · 0 4xx');
    expect(row.textContent).toContain('2.0 ms · 8.0 ms · 250 ms');
    const histogram = within(row).getByRole('figure', { name: 'Latency histogram of inbound:198.18.10.3:8080' });
    await waitFor(() => expect(histogram.querySelectorAll('.recharts-bar-rectangle').length).toBeGreaterThan(0), { timeout: 10_000 });
    const ticks = await waitFor(() => {
      // Recharts 3 draws ticks in z-index layers, not inside their axis: the x ticks are the bucket names.
      const shown = [...histogram.querySelectorAll('.recharts-cartesian-axis-tick-value')].map((t) => t.textContent ?? '').filter((t) => /^[≤>]/.test(t));
      expect(shown.length).toBeGreaterThan(0);
      return shown;
    }, { timeout: 10_000 });
    // The empty buckets at both ends are trimmed, one kept on each side.
    expect(ticks[0]).toBe('≤ 1 ms');
    expect(ticks.at(-1)).toBe('≤ 500 ms');
  });

  it('names histogram buckets by their bounds', () => {
    expect(bucketLabel(0.5, undefined)).toBe('≤ 0.5 ms');
    expect(bucketLabel(2500, 1000)).toBe('≤ 2.5 s');
    expect(bucketLabel(null, 60_000)).toBe('> 60 s');
  });
});
