import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../../../test/api-fixture.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { ClusterList } from '../api/get-clusters.ts';
import { ClusterTable, healthLabel } from './cluster-table.tsx';

const LIMITS = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 };
const CLUSTERS: ClusterList = {
  items: [
    {
      name: 'backend',
      kind: 'service',
      endpoints: [
        { address: '198.18.0.3', port: 5000, healthFlags: 'healthy', rqTotal: 12, rqError: 0 },
        { address: '198.18.0.4', port: 5000, healthFlags: '/failed_outlier_check', rqTotal: 5, rqError: 5 },
        { address: '2001:2::5', port: 5000, healthFlags: '/failed_active_hc', rqTotal: 0, rqError: 0 },
      ],
      limits: { ...LIMITS, maxRequests: 2 },
      stats: { upstream_rq_total: 17, upstream_rq_pending_overflow: 1, upstream_cx_destroy_local: 0 },
    },
    { name: 'outbound:passthrough:ipv4', kind: 'original_dst', endpoints: [], limits: LIMITS, stats: { upstream_rq_total: 0 } },
  ],
};

describe('ClusterTable', () => {
  let api: ApiFixture;
  beforeEach(async () => {
    api = await startApiFixture();
    api.on('GET', '/api/meshes/default/dataplanes/frontend/clusters', (_req, res) => sendJson(res, 200, CLUSTERS));
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  it("names each endpoint's health as Envoy's flags say, with the circuit breakers and counters", async () => {
    renderApp(<ClusterTable mesh="default" name="frontend" />);
    const endpoints = await screen.findByRole('list', { name: 'Endpoints of backend' });
    expect(within(endpoints).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      '198.18.0.3:5000healthy12 rq · 0 errors',
      '198.18.0.4:5000ejected (outlier)5 rq · 5 errors',
      '[2001:2::5]:5000failed health check0 rq · 0 errors',
    ]);
    const row = screen.getByRole('rowheader', { name: /^backend/ }).closest('tr')!;
    expect(row.textContent).toContain('requests2');
    expect(row.textContent).toContain('upstream_rq_pending_overflow');
    expect(row.textContent).not.toContain('upstream_cx_destroy_local');
    expect(screen.getByText('the original destination of each connection')).toBeTruthy();
  });

  it('reads the flags', () => {
    expect(healthLabel('healthy')).toEqual({ text: 'healthy', healthy: true });
    expect(healthLabel('/failed_active_hc/failed_outlier_check')).toEqual({ text: 'failed health check, ejected (outlier)', healthy: false });
    expect(healthLabel('/pending_active_hc')).toEqual({ text: 'health check pending', healthy: true });
  });
});
