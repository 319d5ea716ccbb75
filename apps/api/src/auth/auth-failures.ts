/**
 * Failed authentications per client address, in a sliding window: after `limit` failures within
 * `windowMs` the client is refused (429) until the oldest of them leaves the window, whatever
 * token it sends, so guessing tokens costs time and a correct guess is not told apart. Other
 * clients are unaffected. Bounded: at most `maxClients` addresses are tracked (the stalest go first).
 */
export interface AuthFailureLimits {
  /** Failures allowed per window (default 10). */
  limit?: number;
  /** Window length in ms (default 60 s). */
  windowMs?: number;
  maxClients?: number;
}

export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxClients: number;

  constructor(limits: AuthFailureLimits = {}, private readonly now: () => number = Date.now) {
    this.limit = limits.limit ?? 10;
    this.windowMs = limits.windowMs ?? 60_000;
    this.maxClients = limits.maxClients ?? 10_000;
  }

  private recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(client, list);
    else this.failures.delete(client);
    return list;
  }

  /** Seconds the client must wait, or 0 when it may try. */
  retryAfter(client: string): number {
    const list = this.recent(client);
    if (list.length < this.limit) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.limit]! + this.windowMs - this.now()) / 1000));
  }

  fail(client: string): void {
    const list = this.recent(client);
    list.push(this.now());
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.failures.delete(client);
    this.failures.set(client, list); // re-inserted: Map order is staleness order
    while (this.failures.size > this.maxClients) this.failures.delete(this.failures.keys().next().value!);
  }
}
