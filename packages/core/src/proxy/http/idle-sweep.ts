/**
 * Keep-alive idle timeouts of many connections by one timer. A socket timeout (`setTimeout` on a
 * Socket) is refreshed by Node on every read and every write, which costs a timer-list update per
 * chunk; here a connection only notes when it became idle (a number written where it already does
 * something: a request ended, bytes arrived, it went back to the pool), and one sweep closes those
 * idle past their limit. A connection goes between `limit` and `limit + period` after it became
 * idle, the period being a quarter of the shortest limit tracked (at most 1 s).
 */
export interface IdleTracked {
  /** performance.now() when the connection last became idle (or had activity). */
  idleSince: number;
  readonly idleLimitMs: number;
  /** Called once the limit has passed; the connection decides (it may be busy) and leaves the sweep when it closes. */
  onIdle(): void;
}

const MAX_PERIOD_MS = 1000;
const MIN_PERIOD_MS = 10;

export class IdleSweep {
  private readonly tracked = new Set<IdleTracked>();
  private timer: NodeJS.Timeout | undefined;
  private periodMs = Infinity;

  add(t: IdleTracked): void {
    this.tracked.add(t);
    const period = Math.max(MIN_PERIOD_MS, Math.min(MAX_PERIOD_MS, t.idleLimitMs / 4));
    if (period < this.periodMs || this.timer === undefined) {
      clearInterval(this.timer);
      this.periodMs = Math.min(period, this.periodMs);
      this.timer = setInterval(this.onTick, this.periodMs);
      this.timer.unref();
    }
  }

  delete(t: IdleTracked): void {
    if (!this.tracked.delete(t) || this.tracked.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.periodMs = Infinity;
  }

  get size(): number {
    return this.tracked.size;
  }

  /** Calls `onIdle` of every connection idle for its limit at `now`. */
  sweep(now: number): void {
    for (const t of this.tracked) if (now - t.idleSince >= t.idleLimitMs) t.onIdle();
  }

  private readonly onTick = (): void => this.sweep(performance.now());
}

/** The process's sweep: every HTTP/1.1 downstream connection and every idle pooled upstream one. */
export const idleSweep = new IdleSweep();
