import { describe, expect, it } from 'vitest';
import { backoffMs } from './pass.ts';

describe('retry backoff (Envoy jittered exponential)', () => {
  it('draws in [0, (2^n - 1) × base), capped at the max', () => {
    expect(backoffMs(1, 25, 250, () => 0)).toBe(0);
    expect(backoffMs(1, 25, 250, () => 0.99)).toBe(24);
    expect(backoffMs(2, 25, 250, () => 0.99)).toBe(74);
    expect(backoffMs(5, 25, 250, () => 0.99)).toBe(250);
  });
});
