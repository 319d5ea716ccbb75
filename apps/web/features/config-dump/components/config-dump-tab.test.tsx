import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../../../test/api-fixture.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { ConfigDumpDiff, ConfigDumpVersionList } from '../api/types.ts';
import { ConfigDumpTab } from './config-dump-tab.tsx';

const BASE = '/api/meshes/default/dataplanes/backend/config_dump';
const VERSIONS: ConfigDumpVersionList = {
  running: '3-cccc',
  latest: '3-cccc',
  versions: ['1-aaaa', '2-bbbb', '3-cccc'].map((version, i) => ({ version, recordedAt: `2026-11-22T10:0${i}:00Z`, running: version === '3-cccc' })),
};
const dumpOf = (version: string) => ({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', version_info: version }] });
const diffOf = (from: string, to: string): ConfigDumpDiff => ({
  fromVersion: from,
  toVersion: to,
  changes: [{ kind: 'changed', path: 'configs[0].dynamic_listeners[0].active_state.listener.name', segments: ['configs', 0, 'name'], old: from, new: to }],
  unified: '',
});

describe('ConfigDumpTab', () => {
  let api: ApiFixture;
  beforeEach(async () => {
    api = await startApiFixture();
    api.on('GET', BASE, (req, res) => sendJson(res, 200, dumpOf(new URL(req.url, api.origin).searchParams.get('version') ?? '3-cccc')));
    api.on('GET', `${BASE}/versions`, (_req, res) => sendJson(res, 200, VERSIONS));
    api.on('GET', `${BASE}/diff`, (req, res) => {
      const q = new URL(req.url, api.origin).searchParams;
      sendJson(res, 200, diffOf(q.get('from')!, q.get('to')!));
    });
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  it('keeps the viewed version and the diff in the URL, and a fresh page on that URL shows the same', async () => {
    const first = renderApp(<ConfigDumpTab mesh="default" name="backend" />);
    fireEvent.click(await screen.findByRole('button', { name: 'View version 1-aaaa' }));
    // Pressed, the button's name says so and still names the version.
    await screen.findByRole('button', { name: 'Viewing version 1-aaaa' });
    await screen.findByText('version 1-aaaa', { ignore: 'script, style, .sr-only' });
    fireEvent.change(screen.getByLabelText('From version'), { target: { value: '1-aaaa' } });
    fireEvent.change(screen.getByLabelText('To version'), { target: { value: '2-bbbb' } });
    await screen.findByRole('region', { name: 'Diff from 1-aaaa to 2-bbbb' });
    fireEvent.click(screen.getByRole('button', { name: 'Unified text' }));
    expect(Object.fromEntries(new URLSearchParams(window.location.search))).toEqual({ version: '1-aaaa', from: '1-aaaa', to: '2-bbbb', diff: 'unified' });

    first.unmount();
    renderApp(<ConfigDumpTab mesh="default" name="backend" />);
    await screen.findByText('version 1-aaaa', { ignore: 'script, style, .sr-only' });
    await waitFor(() => expect(api.requests.filter((r) => r.url.startsWith(`${BASE}?`)).at(-1)!.url).toContain('version=1-aaaa'));
    const diff = await screen.findByRole('region', { name: 'Diff from 1-aaaa to 2-bbbb' });
    expect(within(diff).getByRole('button', { name: 'Unified text' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByLabelText<HTMLSelectElement>('From version').value).toBe('1-aaaa');

    fireEvent.click(screen.getByRole('button', { name: 'back to the running version' }));
    expect(new URLSearchParams(window.location.search).has('version')).toBe(false);
  });
});
