import { describe, expect, it } from 'vitest';
import { TokenBucket } from './pass.ts';

describe('TokenBucket', () => {
  it('gives `capacity` tokens per interval, refilled whole', () => {
    let now = 1000;
    const bucket = new TokenBucket(3, 1000, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 1999;
    expect(bucket.take()).toBe(false);
    now = 2000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 10_500; // many intervals later: full, not more than full
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('with capacity 0 refuses everything', () => {
    expect(new TokenBucket(0, 1000, () => 0).take()).toBe(false);
  });
});
