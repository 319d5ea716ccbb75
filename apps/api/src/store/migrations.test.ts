import { describe, expect, it } from 'vitest';
import { migrations } from './migrations.ts';

// Two branches that each add "the next" migration merge into two of the same number, and the store
// would skip the second one's tables: the versions must run 1, 2, 3… with no gap and no repeat.
describe('store migrations', () => {
  it('are numbered 1..n in order, each once', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });
});
