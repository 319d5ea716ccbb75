import { DEFAULT_LIMITS, type ConnectionLimits } from './decode.ts';

/**
 * A cluster's circuit breakers as Envoy counts them: connections open, requests in flight,
 * requests waiting for a connection, retries in flight. Over a limit, Envoy fails fast (503 with
 * `x-envoy-overloaded`, flag UO) instead of queueing without bound; so does meshcap dp. A request
 * that finds no idle connection while `maxConnections` are open waits (bounded by
 * `maxPendingRequests`) for one to be freed.
 */
export class ClusterLimits {
  limits: ConnectionLimits = DEFAULT_LIMITS;
  connections = 0;
  requests = 0;
  retries = 0;
  private readonly waiting: (() => void)[] = [];

  configure(limits: ConnectionLimits | undefined): void {
    this.limits = limits ?? DEFAULT_LIMITS;
  }

  /** A request may start (counted until `requestDone`). */
  startRequest(): boolean {
    if (this.requests >= this.limits.maxRequests) return false;
    this.requests++;
    return true;
  }

  requestDone(): void {
    this.requests--;
  }

  /** A retry may start (counted until `retryDone`). */
  startRetry(): boolean {
    if (this.retries >= this.limits.maxRetries) return false;
    this.retries++;
    return true;
  }

  retryDone(): void {
    this.retries--;
  }

  /** Whether a new connection may be opened now. */
  canConnect(): boolean {
    return this.connections < this.limits.maxConnections;
  }

  connectionOpened(): void {
    this.connections++;
  }

  /** A connection closed or went back idle: the first waiting request tries again. */
  connectionFreed(closed: boolean): void {
    if (closed) this.connections--;
    this.waiting.shift()?.();
  }

  /** Waits for a connection; false when `maxPendingRequests` already wait (the caller answers 503). */
  waitForConnection(resume: () => void): boolean {
    if (this.waiting.length >= this.limits.maxPendingRequests) return false;
    this.waiting.push(resume);
    return true;
  }

  /** A waiting request that gave up (timed out, client gone). */
  cancelWait(resume: () => void): void {
    const i = this.waiting.indexOf(resume);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  get pending(): number {
    return this.waiting.length;
  }
}
