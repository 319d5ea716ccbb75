import { describe, expect, it } from 'vitest';
import { IdleSweep, type IdleTracked } from './idle-sweep.ts';

function tracked(idleSince: number, idleLimitMs: number): IdleTracked & { idled: number } {
  return {
    idleSince,
    idleLimitMs,
    idled: 0,
    onIdle() {
      this.idled++;
    },
  };
}

describe('IdleSweep', () => {
  it('calls onIdle of exactly the connections idle for their limit, and forgets deleted ones', () => {
    const sweep = new IdleSweep();
    const short = tracked(1000, 100);
    const long = tracked(1000, 5000);
    const busy = tracked(1000, 100);
    sweep.add(short);
    sweep.add(long);
    sweep.add(busy);
    busy.idleSince = 1090; // activity: the limit counts from here
    sweep.sweep(1099);
    expect([short.idled, long.idled, busy.idled]).toEqual([0, 0, 0]);
    sweep.sweep(1100);
    expect([short.idled, long.idled, busy.idled]).toEqual([1, 0, 0]);
    sweep.delete(short);
    sweep.sweep(1190);
    expect([short.idled, long.idled, busy.idled]).toEqual([1, 0, 1]);
    expect(sweep.size).toBe(2);
    sweep.delete(long);
    sweep.delete(busy);
    expect(sweep.size).toBe(0);
  });
});
