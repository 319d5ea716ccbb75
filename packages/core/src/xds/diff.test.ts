import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../errors.ts';
import { configDumpVersion } from './config-dump.ts';
import { diffConfigDumps } from './diff.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';
import { ConfigDumpHistory } from './history.ts';
import { diffSequences, unifiedDiff } from './line-diff.ts';
import { configDumpOf, configDumpProvider } from './provider.ts';
import { dataplaneYaml } from '../testing.ts';
import { dumpFor, expectEnvoyValid, expectGolden, inputFor, meshWith, SEED } from './test-fixtures.ts';

// The seed's demo-app, and another instance of its service that the same fault policy selects.
const MESH = `${SEED}
---
${dataplaneYaml({
  mesh: 'default',
  name: 'other-app',
  address: '198.18.0.7',
  inbound: [{ port: 5000, service: 'demo-app', protocol: 'http' }],
  transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
})}---
type: MeshFaultInjection
mesh: default
name: slow-demo
spec:
  targetRef:
    kind: MeshService
    name: demo-app
  from:
    - targetRef:
        kind: Mesh
      default:
        http:
          - delay:
              value: 200ms
              percentage: 100
`;

const CHAIN_PATH = 'configs[@type="type.googleapis.com/envoy.admin.v3.ListenersConfigDump"].dynamic_listeners[name="inbound:198.18.0.6:5000"].active_state.listener.filter_chains[0]';
const FAULT_PATH = `${CHAIN_PATH}.filters[name="envoy.filters.network.http_connection_manager"].typed_config.http_filters[name="envoy.filters.http.fault"]`;
/** The chain's record of which policies made it: the fault was the only one. */
const METADATA_PATH = `${CHAIN_PATH}.metadata`;

describe('toggling a policy for one dataplane', () => {
  it('gives a new version_info whose diff shows exactly the fault filter', async () => {
    const pc = meshWith(MESH);
    const history = new ConfigDumpHistory();
    const v1 = history.buildAndRecord('default/demo-app', inputFor(pc, 'demo-app'));
    const otherBefore = dumpFor(pc, 'other-app');

    pc.setToggle('default', 'demo-app', 'MeshFaultInjection', 'slow-demo', false);
    const v2 = history.buildAndRecord('default/demo-app', inputFor(pc, 'demo-app'));
    await expectEnvoyValid(v2.dump);
    expect(v2.version).not.toBe(v1.version);
    expect(v2.version).toBe(configDumpVersion(v2.dump));

    const diff = history.diff('default/demo-app', v1.version, v2.version, { ignoreStamps: true });
    expect(diff.fromVersion).toBe(v1.version);
    expect(diff.toVersion).toBe(v2.version);
    expect(diff.changes).toEqual([
      {
        kind: 'removed',
        path: FAULT_PATH,
        segments: expect.any(Array),
        old: {
          name: 'envoy.filters.http.fault',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
            delay: { fixed_delay: '0.200s', percentage: { numerator: 100 } },
          },
        },
      },
      {
        kind: 'removed',
        path: METADATA_PATH,
        segments: expect.any(Array),
        old: { filter_metadata: { 'io.meshcap.policies': { policies: [{ type: 'MeshFaultInjection', name: 'slow-demo' }] } } },
      },
    ]);

    // With the stamps: the top-level versions and the one listener that changed; no cluster moved.
    const all = history.diff('default/demo-app', v1.version, v2.version).changes.map((c) => c.path.replace(/^configs\[@type="type\.googleapis\.com\/envoy\.admin\.v3\./, ''));
    expect(all).toEqual([
      'ClustersConfigDump"].version_info',
      'ListenersConfigDump"].version_info',
      'ListenersConfigDump"].dynamic_listeners[name="inbound:198.18.0.6:5000"].active_state.version_info',
      FAULT_PATH.replace(/^configs\[@type="type\.googleapis\.com\/envoy\.admin\.v3\./, ''),
      METADATA_PATH.replace(/^configs\[@type="type\.googleapis\.com\/envoy\.admin\.v3\./, ''),
      'ListenersConfigDump"].dynamic_listeners[name="inbound:198.18.0.6:5000"].active_state.last_updated',
      // Its inline route configuration is rebuilt with it, as in Envoy.
      'RoutesConfigDump"].static_route_configs[route_config.name="inbound:198.18.0.6:5000"].last_updated',
    ]);

    // The unified diff removes the filter's lines (and the chain's note crediting it) and nothing else but stamps.
    const removed = diff.unified.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
    expect(removed.some((l) => l.includes('"name": "envoy.filters.http.fault"'))).toBe(true);
    expect(removed.filter((l) => !/version_info|last_updated/.test(l)).every((l) => /fault|delay|fixed_delay|percentage|numerator|typed_config|@type|metadata|io\.meshcap\.policies|"policies"|MeshFaultInjection|slow-demo|^-\s*[{}[\]],?$/.test(l))).toBe(true);
    // Added: stamps, and a closing bracket that lost its comma when the metadata after it went.
    expect(diff.unified.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).every((l) => /version_info|last_updated|^\+\s*[\]}]$/.test(l))).toBe(true);
    expectGolden('toggle-fault.diff', diff.unified);

    // The other dataplane matched by the same policy keeps its fault and its version.
    expect(dumpFor(pc, 'other-app')).toEqual(otherBefore);

    // Back on: the filter comes back, under a newer version.
    pc.setToggle('default', 'demo-app', 'MeshFaultInjection', 'slow-demo', true);
    const v3 = history.buildAndRecord('default/demo-app', inputFor(pc, 'demo-app'));
    expect(history.diff('default/demo-app', v2.version, v3.version, { ignoreStamps: true }).changes.map((c) => [c.kind, c.path])).toEqual([
      ['added', FAULT_PATH],
      ['added', METADATA_PATH],
    ]);
    expect(history.versions('default/demo-app').map((r) => r.version)).toEqual([v1.version, v2.version, v3.version]);
  });
});

describe('diffConfigDumps', () => {
  it('matches list elements by name, reports reordering as no change, and falls back to positions', () => {
    const a: EnvoyConfigDump = { configs: [{ '@type': 't/A', items: [{ name: 'x', v: 1 }, { name: 'y', v: 2 }], plain: [1, 2, 3] }] };
    const b: EnvoyConfigDump = { configs: [{ '@type': 't/A', items: [{ name: 'y', v: 2 }, { name: 'x', v: 5 }, { name: 'z' }], plain: [1, 3] }] };
    expect(diffConfigDumps(a, b).changes.map((c) => [c.kind, c.path, c.old, c.new])).toEqual([
      ['changed', 'configs[@type="t/A"].items[name="x"].v', 1, 5],
      ['added', 'configs[@type="t/A"].items[name="z"]', undefined, { name: 'z' }],
      ['removed', 'configs[@type="t/A"].plain[1]', 2, undefined],
    ]);
    expect(diffConfigDumps(a, a)).toMatchObject({ changes: [], unified: '' });
  });
});

describe('line diff', () => {
  it('finds a shortest edit script (checked against LCS length on random inputs)', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const lcs = (a: string[], b: string[]): number => {
      const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
      return dp[a.length]![b.length]!;
    };
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: rand(12) }, () => 'abcd'[rand(4)]!);
      const b = Array.from({ length: rand(12) }, () => 'abcd'[rand(4)]!);
      const edits = diffSequences(a, b);
      expect(edits.filter((e) => e.op !== '+').map((e) => e.item)).toEqual(a);
      expect(edits.filter((e) => e.op !== '-').map((e) => e.item)).toEqual(b);
      expect(edits.filter((e) => e.op === ' ').length).toBe(lcs(a, b));
    }
  });

  it('past maxEdits, reports the middle as replaced (still a correct script)', () => {
    const a = ['h', ...'abcdef'.split(''), 't'];
    const b = ['h', ...'uvwxyz'.split(''), 't'];
    const edits = diffSequences(a, b, 3);
    expect(edits.map((e) => e.op).join('')).toBe(' ------++++++ ');
  });

  it('prints GNU unified hunks with 3 lines of context and merges close changes', () => {
    const from = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const to = from.replace('line 5\n', 'line five\n').replace('line 9\n', '').replace('line 18\n', 'line 18\nline 18b\n');
    expect(unifiedDiff(from, to, { fromLabel: 'a/x', toLabel: 'b/x' })).toBe(
      [
        '--- a/x',
        '+++ b/x',
        '@@ -2,11 +2,10 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line five',
        ' line 6',
        ' line 7',
        ' line 8',
        '-line 9',
        ' line 10',
        ' line 11',
        ' line 12',
        '@@ -16,5 +15,6 @@',
        ' line 16',
        ' line 17',
        ' line 18',
        '+line 18b',
        ' line 19',
        ' line 20',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff('a\n', '')).toBe('--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n');
    expect(unifiedDiff('same\n', 'same\n')).toBe('');
  });
});

describe('ConfigDumpHistory', () => {
  const dump = (version: string, extra = 0): EnvoyConfigDump => ({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', version_info: version, ...(extra ? { extra } : {}) }] });

  it('keeps the last N versions per dataplane (default 20)', () => {
    const h = new ConfigDumpHistory();
    for (let i = 1; i <= 25; i++) h.record('default/a', dump(`v${i}`));
    h.record('default/b', dump('v1'));
    expect(h.limit).toBe(20);
    expect(h.versions('default/a').map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i + 6}`));
    expect(h.latest('default/a')?.version).toBe('v25');
    expect(h.get('default/a', 'v5')).toBeUndefined();
    expect(h.dataplanes()).toEqual(['default/a', 'default/b']);
    const small = new ConfigDumpHistory({ limit: 2 });
    for (const v of ['1', '2', '3']) small.record('x', dump(v));
    expect(small.versions('x').map((r) => r.version)).toEqual(['2', '3']);
    h.forget('default/a');
    expect(h.versions('default/a')).toEqual([]);
  });

  it('recording the newest version again is a no-op; the same version with other content is a conflict', () => {
    const h = new ConfigDumpHistory();
    const first = h.record('x', dump('1'));
    expect(h.record('x', dump('1'))).toBe(first);
    expect(() => h.record('x', dump('1', 1))).toThrow(/version 1 of x is already recorded with other content/);
    expect(() => h.record('x', {})).toThrow(/has no version_info/);
  });

  it('merges another replica’s records: only versions it lacks, in recorded order, within the limit', () => {
    const h = new ConfigDumpHistory({ limit: 3 });
    h.record('x', dump('2'), new Date('2026-12-03T10:00:02Z'));
    const rec = (v: string, s: number, extra = 0) => ({ version: v, recordedAt: `2026-12-03T10:00:0${s}.000Z`, dump: dump(v, extra) });
    expect(h.merge('x', [rec('1', 1), rec('2', 2, 1), rec('3', 3)])).toBe(2);
    expect(h.versions('x').map((r) => r.version)).toEqual(['1', '2', '3']);
    // Its own copy of version 2 stays.
    expect(h.get('x', '2')?.dump).toEqual(dump('2'));
    expect(h.merge('x', [rec('3', 3), rec('4', 4)])).toBe(1);
    expect(h.versions('x').map((r) => r.version)).toEqual(['2', '3', '4']);
    expect(h.merge('x', [rec('4', 4)])).toBe(0);
  });

  it('a diff naming a version that is not kept is a 404 listing what is kept', () => {
    const h = new ConfigDumpHistory();
    h.record('x', dump('1'));
    const err = (() => {
      try {
        h.diff('x', '1', '9');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isMeshcapError(err) && err.status).toBe(404);
    expect((err as Error).message).toBe('version 9 of x is not in the history (kept: 1)');
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new ConfigDumpHistory({ limit: 0 })).toThrow(/at least 1, got 0/);
    expect(() => new ConfigDumpHistory({ limit: 2.5 })).toThrow(/at least 1/);
  });
});

describe('configDumpProvider and configDumpOf', () => {
  it('the control plane’s dump (from compiled policies) equals the dataplane’s (from the proxy config it runs)', async () => {
    const pc = meshWith(MESH);
    const policies = pc.compile('default', 'demo-app');
    expect(configDumpOf(policies)).toEqual(dumpFor(pc, 'demo-app'));
  });

  it('serves each new version once, keeps history, and applies the query', async () => {
    const pc = meshWith(MESH);
    const history = new ConfigDumpHistory({ limit: 5 });
    const serve = configDumpProvider(() => inputFor(pc, 'demo-app'), history);
    const first = await serve();
    expect(await serve()).toEqual(first);
    expect(history.versions('default/demo-app')).toHaveLength(1);
    pc.setToggle('default', 'demo-app', 'MeshFaultInjection', 'slow-demo', false);
    const listeners = await serve(new URLSearchParams('resource=dynamic_listeners&name_regex=inbound:198.*'));
    await expectEnvoyValid(listeners);
    expect(listeners.configs!.map((c) => c['name'])).toEqual(['inbound:198.18.0.6:5000']);
    expect(history.versions('default/demo-app')).toHaveLength(2);
    await expect(serve(new URLSearchParams('resource=nope'))).rejects.toMatchObject({ status: 404, message: 'nope not found in config dump' });
  });
});
