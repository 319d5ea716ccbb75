import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../../../test/api-fixture.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { ListenerList } from '../api/types.ts';
import { ListenerTable } from './listener-table.tsx';

const LISTENERS: ListenerList = {
  configVersion: 'v7',
  statsAvailable: true,
  items: [
    {
      name: 'inbound:198.18.0.2:5000',
      direction: 'inbound',
      address: '198.18.0.2',
      port: 5000,
      bind: true,
      useOriginalDst: false,
      transparent: false,
      capture: 'redirect',
      protocol: 'http',
      cluster: 'localhost:5000',
      service: 'backend',
      filters: ['MeshTrafficPermission/allow-web', 'x-request-id'],
      stats: { downstream_cx_total: 12 },
    },
    {
      name: 'outbound:passthrough:ipv6',
      direction: 'outbound',
      address: '::',
      port: 15001,
      bind: false,
      useOriginalDst: true,
      transparent: true,
      capture: 'tproxy',
      protocol: 'tcp',
      cluster: 'outbound:passthrough:ipv6',
      filters: [],
      stats: {},
    },
  ],
};

describe('ListenerTable', () => {
  let api: ApiFixture;
  let answer: ListenerList;
  beforeEach(async () => {
    answer = LISTENERS;
    api = await startApiFixture();
    api.on('GET', '/api/meshes/default/dataplanes/frontend/listeners', (_req, res) => sendJson(res, 200, answer));
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  it('shows each listener: name and what it is, address, original dst, filters and cluster, counters', async () => {
    renderApp(<ListenerTable mesh="default" name="frontend" />);
    const table = await screen.findByRole('table', { name: 'Listeners' });
    expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Name', 'Address', 'Original dst', 'Filters · cluster', 'Counters']);
    expect(screen.getByText(/^Config version/).textContent).toBe('Config version v7 · counters from the running dataplane, refreshed every 3 s');
    const inbound = screen.getByRole('rowheader', { name: /^inbound:198/ });
    expect(inbound.textContent).toBe('inbound:198.18.0.2:5000 inbound · http · redirect · backend');
    const row = inbound.closest('tr')!;
    expect(within(row).getAllByRole('cell').map((td) => td.textContent)).toEqual([
      '198.18.0.2:5000',
      'no',
      'MeshTrafficPermission/allow-webx-request-id→ localhost:5000',
      'downstream_cx_total12',
    ]);
    expect(within(row).getByRole('list', { name: 'Filters of inbound:198.18.0.2:5000' })).toBeTruthy();
    const passthrough = screen.getByRole('rowheader', { name: /^outbound:passthrough/ });
    expect(passthrough.textContent).toBe('outbound:passthrough:ipv6 outbound · tcp · tproxy · transparent · handed off, not bound');
    expect(within(passthrough.closest('tr')!).getAllByRole('cell').map((td) => td.textContent)).toEqual(['[::]:15001', 'yes', '→ outbound:passthrough:ipv6', 'No counters yet.']);
  });

  it('says when the dataplane is not connected to give counters', async () => {
    answer = { ...LISTENERS, statsAvailable: false };
    renderApp(<ListenerTable mesh="default" name="frontend" />);
    expect((await screen.findByText(/^Config version/)).textContent).toBe('Config version v7 · no counters: the dataplane is not connected');
  });

  it('says when there are no listeners', async () => {
    answer = { ...LISTENERS, items: [] };
    renderApp(<ListenerTable mesh="default" name="frontend" />);
    expect(await screen.findByText('This dataplane has no listeners.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});
