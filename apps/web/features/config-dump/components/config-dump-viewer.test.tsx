import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigDump } from '../api/types.ts';
import { ConfigDumpViewer } from './config-dump-viewer.tsx';

afterEach(cleanup);

const listener = (name: string, address: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  active_state: {
    version_info: '4-bbbbbbbbbbbb',
    listener: { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name, address: { socket_address: { address, port_value: port } }, ...extra },
    last_updated: '2026-11-22T10:00:00Z',
  },
});

const DUMP: ConfigDump = {
  configs: [
    { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'default.backend-1' } } },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      dynamic_active_clusters: [{ cluster: { name: 'outbound:passthrough:ipv4', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' } }, { cluster: { name: 'localhost:5000', type: 'STATIC' } }],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      dynamic_listeners: [
        listener('inbound:passthrough:ipv4', '0.0.0.0', 15006, { use_original_dst: true, traffic_direction: 'INBOUND' }),
        listener('outbound:passthrough:ipv4', '0.0.0.0', 15001, { use_original_dst: true, traffic_direction: 'OUTBOUND' }),
        listener('inbound:198.18.0.3:5000', '198.18.0.3', 5000, { filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager' }] }] }),
      ],
    },
    { '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump', dynamic_route_configs: [{ route_config: { name: 'inbound:backend' } }] },
  ],
};

const renderViewer = () => render(<ConfigDumpViewer dump={DUMP} dataplane="backend-1" version="4-bbbbbbbbbbbb" />);
const tree = () => screen.getByRole('list', { name: 'Config dump' });
const branch = (name: string | RegExp) => within(tree()).getByRole('button', { name });

describe('ConfigDumpViewer', () => {
  it('opens the first levels and collapses/expands a branch', () => {
    renderViewer();
    // root, configs, each config open; the listener list is closed, with its size
    const listeners = branch(/^dynamic_listeners\s*\[3\]/);
    expect(listeners.getAttribute('aria-expanded')).toBe('false');
    expect(within(tree()).queryByText('"inbound:passthrough:ipv4"')).toBeNull();

    fireEvent.click(listeners);
    expect(listeners.getAttribute('aria-expanded')).toBe('true');
    // each listener shows its name as a hint while collapsed
    expect(branch(/^0\s*\{2\}\s*inbound:passthrough:ipv4/).getAttribute('aria-expanded')).toBe('false');

    fireEvent.click(listeners);
    expect(within(tree()).queryByRole('button', { name: /inbound:passthrough:ipv4/ })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Collapse all' }));
    // everything closed below the root
    expect(branch(/^configs\s*\[4\]/).getAttribute('aria-expanded')).toBe('false');
    expect(within(tree()).getAllByRole('button')).toHaveLength(2);

    fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    expect(within(tree()).getByText('15006')).toBeTruthy();
    expect(within(tree()).getAllByText('true').length).toBeGreaterThanOrEqual(2); // use_original_dst
  });

  it('search opens the branches holding matches and marks them', async () => {
    renderViewer();
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Search config'), { target: { value: 'use_original_dst' } });
    });
    expect(screen.getByRole('status', { name: 'Search matches' }).textContent).toBe('2 matches');
    const marks = tree().querySelectorAll('mark');
    expect([...marks].map((m) => m.textContent)).toEqual(['use_original_dst', 'use_original_dst']);
    // the closed listener list opened by itself to show them
    expect(branch(/^dynamic_listeners/).getAttribute('aria-expanded')).toBe('true');
    // a branch without matches stays closed
    expect(branch(/^dynamic_active_clusters/).getAttribute('aria-expanded')).toBe('false');

    await act(async () => {
      fireEvent.change(screen.getByLabelText('Search config'), { target: { value: '15001' } });
    });
    expect(screen.getByRole('status', { name: 'Search matches' }).textContent).toBe('1 match');
    expect(tree().querySelector('mark')?.textContent).toBe('15001');
  });

  it('filters by resource and by name', () => {
    renderViewer();
    fireEvent.change(screen.getByLabelText('Resource'), { target: { value: 'Listeners' } });
    expect(within(tree()).queryByRole('button', { name: /dynamic_active_clusters/ })).toBeNull();
    expect(branch(/^dynamic_listeners\s*\[3\]/)).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Name filter'), { target: { value: 'passthrough' } });
    expect(branch(/^dynamic_listeners\s*\[2\]/)).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Resource'), { target: { value: '' } });
    // the name filter applies to clusters too: only the passthrough cluster is left
    expect(branch(/^dynamic_active_clusters\s*\[1\]/)).toBeTruthy();
    expect(branch(/^dynamic_route_configs\s*\[0\]/)).toBeTruthy();
    expect([...screen.getByLabelText('Resource').querySelectorAll('option')].map((o) => o.textContent)).toEqual(['All resources', 'Bootstrap', 'Clusters', 'Listeners', 'Routes']);
  });

  it('exports what is shown, pretty-printed, named after the dataplane, the version and the filters', async () => {
    const saved: Blob[] = [];
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (b: Blob) => (saved.push(b), create(b));
    try {
      renderViewer();
      const exportLink = screen.getByRole('link', { name: 'Export JSON' });
      expect(exportLink.getAttribute('download')).toBe('backend-1-config_dump-4-bbbbbbbbbbbb.json');
      fireEvent.click(exportLink);
      expect(exportLink.getAttribute('href')).toMatch(/^blob:/);
      const whole = await saved[0]!.text();
      expect(JSON.parse(whole)).toEqual(DUMP);
      expect(whole).toBe(`${JSON.stringify(DUMP, null, 2)}\n`);

      fireEvent.change(screen.getByLabelText('Resource'), { target: { value: 'Routes' } });
      expect(exportLink.getAttribute('download')).toBe('backend-1-config_dump-4-bbbbbbbbbbbb-filtered.json');
      fireEvent.click(exportLink);
      expect(JSON.parse(await saved[1]!.text())).toEqual({ configs: [DUMP.configs[3]] });
    } finally {
      URL.createObjectURL = create;
    }
  });

  it('copies what is shown', async () => {
    renderViewer();
    fireEvent.change(screen.getByLabelText('Resource'), { target: { value: 'Routes' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Copy JSON' }));
    });
    expect(await screen.findByText('Copied to the clipboard.')).toBeTruthy();
    const copied = JSON.parse(await navigator.clipboard.readText()) as ConfigDump;
    expect(copied).toEqual({ configs: [DUMP.configs[3]] });
  });
});
