import type { Host } from '../../proxy/cluster-state.ts';
import type { Detector, OutlierDetectionConfig } from './decode.ts';

/**
 * Envoy's outlier detection over a cluster's hosts: consecutive 5xx, consecutive gateway failures
 * (502/503/504) and consecutive local-origin failures eject a host as soon as the count is reached;
 * success rate and failure percentage are computed once per interval. An ejection lasts
 * `base_ejection_time` × the number of times the host was ejected (capped at `max_ejection_time`);
 * no more than `max_ejection_percent` of the hosts are out at once, but at least one may be.
 */

/**
 * What came of one request (HTTP: the upstream's status) or one TCP connection: `local` is a
 * locally observed failure (connect refused or timed out, reset), `timeout` a request timeout.
 * Without `split_external_local_origin_errors` Envoy counts them as 503 and 504.
 */
export type Outcome = number | 'success' | 'local' | 'timeout';

export class OutlierDetector {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly config: OutlierDetectionConfig,
    private readonly hosts: () => readonly Host[],
    private readonly random: () => number,
  ) {
    this.timer = setInterval(() => this.tick(), config.intervalMs);
    this.timer.unref();
  }

  report(host: Host, outcome: Outcome): void {
    const c = this.config;
    const local = outcome === 'local' || outcome === 'timeout';
    if (local && c.splitLocalOrigin) {
      host.consecutiveLocalOriginFailure++;
      host.intervalRequests++;
      host.intervalFailures++;
      if (host.consecutiveLocalOriginFailure >= c.consecutiveLocalOriginFailure.threshold) this.maybeEject(host, c.consecutiveLocalOriginFailure);
      return;
    }
    const status = outcome === 'local' ? 503 : outcome === 'timeout' ? 504 : outcome === 'success' ? 200 : outcome;
    host.intervalRequests++;
    if (status < 500) {
      host.consecutive5xx = host.consecutiveGatewayFailure = 0;
      if (outcome === 'success' || c.splitLocalOrigin) host.consecutiveLocalOriginFailure = 0;
      return;
    }
    host.intervalFailures++;
    host.consecutive5xx++;
    if (status >= 502 && status <= 504) host.consecutiveGatewayFailure++;
    else host.consecutiveGatewayFailure = 0;
    if (host.consecutive5xx >= c.consecutive5xx.threshold) this.maybeEject(host, c.consecutive5xx);
    else if (host.consecutiveGatewayFailure >= c.consecutiveGatewayFailure.threshold) this.maybeEject(host, c.consecutiveGatewayFailure);
  }

  private maybeEject(host: Host, detector: Detector): void {
    // The count starts again whether or not this detector enforces (Envoy resets it either way).
    host.consecutive5xx = host.consecutiveGatewayFailure = host.consecutiveLocalOriginFailure = 0;
    if (this.random() * 100 >= detector.enforcing) return;
    this.eject(host, performance.now());
  }

  private eject(host: Host, now: number): void {
    if (host.ejectedUntil > now) return;
    const hosts = this.hosts();
    let out = 0;
    for (const h of hosts) if (h.ejectedUntil > now) out++;
    // Envoy ejects at least one host whatever the percentage says.
    if (out > 0 && ((out + 1) * 100) / hosts.length > this.config.maxEjectionPercent) return;
    host.ejections++;
    host.ejectedUntil = now + Math.min(this.config.baseEjectionMs * host.ejections, Math.max(this.config.maxEjectionMs, this.config.baseEjectionMs));
  }

  /** Once per interval: success rate and failure percentage, then the interval's counts start again. */
  tick(): void {
    const now = performance.now();
    const hosts = this.hosts();
    const { successRate: sr, failurePercentage: fp } = this.config;
    const rates = (volume: number): { host: Host; success: number }[] =>
      hosts.filter((h) => h.intervalRequests >= volume && h.ejectedUntil <= now).map((h) => ({ host: h, success: (100 * (h.intervalRequests - h.intervalFailures)) / h.intervalRequests }));
    if (sr.enforcing > 0) {
      const r = rates(sr.requestVolume);
      if (r.length >= sr.minimumHosts) {
        const mean = r.reduce((s, x) => s + x.success, 0) / r.length;
        const stdev = Math.sqrt(r.reduce((s, x) => s + (x.success - mean) ** 2, 0) / r.length);
        const floor = mean - sr.stdevFactor * stdev;
        for (const x of r) if (x.success < floor && this.random() * 100 < sr.enforcing) this.eject(x.host, now);
      }
    }
    if (fp.enforcing > 0) {
      const r = rates(fp.requestVolume);
      if (r.length >= fp.minimumHosts) for (const x of r) if (100 - x.success >= fp.threshold && this.random() * 100 < fp.enforcing) this.eject(x.host, now);
    }
    for (const h of hosts) {
      h.intervalRequests = h.intervalFailures = 0;
      // A host back in for a whole interval is forgiven one ejection (Envoy's backoff decay).
      if (h.ejectedUntil <= now) {
        if (h.ejectedUntil !== 0) h.ejectedUntil = 0;
        else if (h.ejections > 0) h.ejections--;
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
