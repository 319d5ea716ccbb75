import { describe, expect, it } from 'vitest';
import type { TargetRef } from '../model/policies/index.ts';
import { mergeConfs } from './merge.ts';
import { buildSubsetRules, firstMatchingRule, subsetMatches, subsetOfTargetRef, type IdentityTags, type SubsetEntry } from './subsets.ts';

function entry(ref: TargetRef, conf: Record<string, unknown>, origin: string): SubsetEntry<Record<string, unknown>, string> {
  return { subset: subsetOfTargetRef(ref), conf, origin };
}

describe('subsetOfTargetRef', () => {
  it('turns each kind into positive tags', () => {
    expect(subsetOfTargetRef({ kind: 'Mesh' })).toEqual([]);
    expect(subsetOfTargetRef({ kind: 'MeshService', name: 'web' })).toEqual([{ key: 'kuma.io/service', value: 'web', not: false }]);
    expect(subsetOfTargetRef({ kind: 'MeshSubset', tags: { env: 'dev' } })).toEqual([{ key: 'env', value: 'dev', not: false }]);
    expect(subsetOfTargetRef({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } })).toEqual([
      { key: 'kuma.io/service', value: 'web', not: false },
      { key: 'version', value: 'v1', not: false },
    ]);
  });
});

describe('buildSubsetRules', () => {
  // Kuma docs, meshtrafficpermission.md "Allow requests from zone 'us-east', deny requests from 'dev'
  // environment", and its tip: a client with both tags is denied, the later entry wins.
  const example = [
    entry({ kind: 'MeshSubset', tags: { 'kuma.io/zone': 'us-east' } }, { action: 'Allow' }, 'from[0]'),
    entry({ kind: 'MeshSubset', tags: { env: 'dev' } }, { action: 'Deny' }, 'from[1]'),
  ];
  const rules = buildSubsetRules(example)!;

  it.each<[string, IdentityTags, string | undefined]>([
    ['zone us-east and env dev', { 'kuma.io/zone': ['us-east'], env: ['dev'] }, 'Deny'],
    ['zone us-east only', { 'kuma.io/zone': ['us-east'], env: ['prod'] }, 'Allow'],
    ['env dev only', { 'kuma.io/zone': ['eu-west'], env: ['dev'] }, 'Deny'],
    ['neither (no rule: MeshTrafficPermission then denies)', { 'kuma.io/zone': ['eu-west'] }, undefined],
    ['no tags at all', {}, undefined],
  ])('%s → %s', (_name, tags, action) => {
    expect(firstMatchingRule(rules, tags)?.conf.action).toBe(action);
  });

  it('lists the most specific subsets first, each with the entries merged into it', () => {
    expect(rules.map((r) => [r.subset.map((t) => `${t.not ? '!' : ''}${t.key}=${t.value}`).join(','), r.conf.action, r.origins.join('+')])).toEqual([
      ['env=dev,kuma.io/zone=us-east', 'Deny', 'from[0]+from[1]'],
      ['env=dev,!kuma.io/zone=us-east', 'Deny', 'from[1]'],
      ['!env=dev,kuma.io/zone=us-east', 'Allow', 'from[0]'],
    ]);
  });

  it('keeps subsets that cannot share a client apart (two services)', () => {
    const r = buildSubsetRules([
      entry({ kind: 'MeshService', name: 'web' }, { action: 'Allow' }, 'a'),
      entry({ kind: 'MeshService', name: 'api' }, { action: 'Deny' }, 'b'),
    ])!;
    expect(r.map((x) => [x.subset, x.conf])).toEqual([
      [[{ key: 'kuma.io/service', value: 'web', not: false }], { action: 'Allow' }],
      [[{ key: 'kuma.io/service', value: 'api', not: false }], { action: 'Deny' }],
    ]);
  });

  it('drops an entry whose own tags contradict each other (it names nobody)', () => {
    expect(buildSubsetRules([entry({ kind: 'MeshServiceSubset', name: 'web', tags: { 'kuma.io/service': 'api' } }, { a: 1 }, 'x')])).toEqual([]);
  });

  it('gives up, rather than guess, past the bound', () => {
    const many = Array.from({ length: 13 }, (_, i) => entry({ kind: 'MeshSubset', tags: { [`k${i}`]: 'v' } }, { n: i }, `e${i}`));
    expect(buildSubsetRules(many, 4096)).toBeUndefined();
    expect(buildSubsetRules(many.slice(0, 12), 4096)?.length).toBe(4095);
  });

  // For every client over a small tag universe, the first matching rule's conf must equal merging, in
  // order, every entry whose targetRef names the client: the rules are a precomputation, not a change.
  it('agrees with merging every matching entry, for every client', () => {
    const entries = [
      entry({ kind: 'Mesh' }, { base: 1, level: 'mesh' }, 'mesh'),
      entry({ kind: 'MeshService', name: 'web' }, { level: 'web' }, 'web'),
      entry({ kind: 'MeshSubset', tags: { env: 'dev' } }, { dev: true }, 'dev'),
      entry({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } }, { level: 'web-v2' }, 'web-v2'),
      entry({ kind: 'MeshService', name: 'api' }, { level: 'api', base: 2 }, 'api'),
      entry({ kind: 'MeshSubset', tags: { env: 'prod', version: 'v2' } }, { prodv2: true }, 'prod-v2'),
    ];
    const built = buildSubsetRules(entries)!;
    const universe = { 'kuma.io/service': ['web', 'api', 'db'], env: ['dev', 'prod'], version: ['v1', 'v2'] };
    let clients = 0;
    for (const service of [...universe['kuma.io/service'], undefined]) {
      for (const env of [...universe.env, undefined]) {
        for (const version of [...universe.version, undefined]) {
          const tags: Record<string, string[]> = {};
          if (service) tags['kuma.io/service'] = [service];
          if (env) tags.env = [env];
          if (version) tags.version = [version];
          const expected = mergeConfs(entries.filter((e) => subsetMatches(e.subset, tags)).map((e) => e.conf));
          expect(firstMatchingRule(built, tags)?.conf, JSON.stringify(tags)).toEqual(expected);
          clients++;
        }
      }
    }
    expect(clients).toBe(36);
  });
});
