import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigDumpDiff } from '../api/types.ts';
import { DiffView } from './config-dump-history.tsx';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
});

const L = 'configs[2].dynamic_listeners[name="inbound:198.18.0.3:5000"]';
const seg = (...rest: unknown[]) => [{ key: 'configs' }, 2, 'dynamic_listeners', { key: 'name', value: 'inbound:198.18.0.3:5000' }, ...rest];

// Two versions apart by one filter; every resource also got a new version_info and last_updated.
const DIFF: ConfigDumpDiff = {
  fromVersion: '3-aaaa',
  toVersion: '4-bbbb',
  changes: [
    { kind: 'changed', path: `${L}.version_info`, segments: seg('version_info'), old: '3-aaaa', new: '4-bbbb' },
    { kind: 'changed', path: `${L}.last_updated`, segments: seg('last_updated'), old: '2026-11-22T10:00:00Z', new: '2026-11-22T10:05:00Z' },
    { kind: 'removed', path: `${L}.active_state.listener.filter_chains[0].filters[1]`, segments: seg('active_state', 'listener', 'filter_chains', 0, 'filters', 1), old: { name: 'envoy.filters.http.fault' } },
    { kind: 'changed', path: 'configs[1].version_info', segments: [{ key: 'configs' }, 1, 'version_info'], old: '3-aaaa', new: '4-bbbb' },
  ],
  unified: [
    '--- 3-aaaa',
    '+++ 4-bbbb',
    '@@ -10,3 +10,3 @@',
    '   {',
    '-    "version_info": "3-aaaa",',
    '+    "version_info": "4-bbbb",',
    '@@ -40,4 +40,3 @@',
    '       "filters": [',
    '-        { "name": "envoy.filters.http.fault" },',
    '-    "last_updated": "2026-11-22T10:00:00Z"',
    '+    "last_updated": "2026-11-22T10:05:00Z"',
  ].join('\n'),
};

describe('DiffView', () => {
  it('hides version_info / last_updated changes by default, and shows them on request', () => {
    render(<DiffView diff={DIFF} />);
    const list = () => screen.getByRole('region', { name: 'Diff from 3-aaaa to 4-bbbb' }).querySelector('ul')!;
    expect(screen.getByRole('button', { name: 'Changes (1)' })).toBeTruthy();
    expect(within(list()).getAllByRole('listitem').map((li) => li.textContent)).toEqual([expect.stringContaining('removed')]);
    expect(list().textContent).not.toContain('version_info');

    const toggle = screen.getByLabelText('Show version_info / last_updated changes (3)');
    fireEvent.click(screen.getByRole('button', { name: 'Unified text' }));
    const unified = screen.getByLabelText('Unified diff').textContent!;
    expect(unified).toContain('envoy.filters.http.fault');
    expect(unified).not.toContain('version_info');
    expect(unified).not.toContain('last_updated');
    expect(unified).not.toContain('@@ -10,3'); // a hunk of nothing but noise goes with it

    fireEvent.click(toggle);
    expect(screen.getByLabelText('Unified diff').textContent).toContain('"version_info": "4-bbbb"');
    fireEvent.click(screen.getByRole('button', { name: 'Changes (4)' }));
    expect(within(list()).getAllByRole('listitem')).toHaveLength(4);
  });

  it('says when nothing but the noise changed', () => {
    render(<DiffView diff={{ ...DIFF, changes: DIFF.changes.filter((c) => c.kind === 'changed') }} />);
    expect(screen.getByText('No difference but version_info / last_updated.')).toBeTruthy();
  });
});
