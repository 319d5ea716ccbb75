import { describe, expect, it } from 'vitest';
import { mergeConfs, mergePatch } from './merge.ts';

describe('mergePatch', () => {
  // RFC 7396, Appendix A: every example, target + patch → result.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('RFC 7396 A: %j + %j → %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it('neither changes nor shares its inputs', () => {
    const target = { a: { b: [1] } };
    const patch = { a: { c: { d: 1 } } };
    const out = mergePatch(target, patch) as { a: { c: { d: number } } };
    expect(target).toEqual({ a: { b: [1] } });
    out.a.c.d = 2;
    expect(patch.a.c.d).toBe(1);
  });
});

describe('mergeConfs', () => {
  // Kuma docs, "Understanding TargetRef policies › Merging configuration": two `default`s in merge
  // order and their documented result. Lists are replaced, null removes.
  it("gives the result of Kuma's documented merge example", () => {
    const first = { conf: 1, sub: { array: [1, 2, 3], other: 50, 'other-array': [3, 4, 5] } };
    const second = { sub: { array: [], other: null, 'other-array': [5, 6], extra: 2 } };
    expect(mergeConfs([first, second])).toEqual({ conf: 1, sub: { array: [], 'other-array': [5, 6], extra: 2 } });
  });

  it('is undefined for nothing and later wins', () => {
    expect(mergeConfs([])).toBeUndefined();
    expect(mergeConfs([{ a: 1, b: { c: 1 } }, { b: { d: 2 } }, { a: 3 }])).toEqual({ a: 3, b: { c: 1, d: 2 } });
  });
});
