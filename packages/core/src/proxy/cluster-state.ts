import { ClusterLimits } from '../policies/mesh-circuit-breaker/limits.ts';
import { OutlierDetector, type Outcome } from '../policies/mesh-circuit-breaker/outlier.ts';
import { ActiveHealthChecker, type HealthCheckConnect } from '../policies/mesh-health-check/checker.ts';
import type { ClusterConfig, UpstreamEndpoint } from './config.ts';
import type { ClusterCounters } from './stats.ts';
import { hashTable, type HashTable } from '../policies/mesh-load-balancing-strategy/balancer.ts';
import type { LoadBalancerConfig } from '../policies/mesh-load-balancing-strategy/decode.ts';

/** A cluster as the data path uses it: its config, its counters, its hosts' health and limits (kept across versions). */
export interface ClusterRuntime {
  readonly config: ClusterConfig;
  readonly counters: ClusterCounters;
  readonly state: ClusterState;
}

/**
 * What a cluster knows about its endpoints across config versions: each host's health (active
 * checks, outlier ejection), the connection limits in force, and the load balancer's position.
 * The engine keeps one per cluster name, so a new config version (a policy toggled, an endpoint
 * added) neither forgets an ejection nor resets the count of requests in flight.
 */

/** Below this share of healthy hosts, Envoy balances over all of them (its default panic threshold). */
const DEFAULT_PANIC_THRESHOLD_PERCENT = 50;

/** An endpoint of a cluster, with what health checking and outlier detection know about it. */
export class Host implements UpstreamEndpoint {
  /** Active health checking says unhealthy. */
  failedActiveHc = false;
  /** Active health checking is on and has not answered yet (taken as healthy meanwhile). */
  pendingActiveHc = false;
  /** performance.now() until which outlier detection keeps the host out; 0: not ejected. */
  ejectedUntil = 0;
  /** Times ejected so far (the next ejection lasts base × this), lowered while it stays healthy. */
  ejections = 0;
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  /** Requests and failures in the current outlier interval (success rate, failure percentage). */
  intervalRequests = 0;
  intervalFailures = 0;
  /** Per-host stats, as Envoy's /clusters prints them. */
  rqTotal = 0;
  rqError = 0;
  /** Picked and not yet reported: what LEAST_REQUEST compares. */
  active = 0;

  constructor(
    readonly address: string,
    readonly port: number,
  ) {}

  healthy(now: number): boolean {
    return !this.failedActiveHc && this.ejectedUntil <= now;
  }

  /** Envoy's `health_flags` in /clusters. */
  healthFlags(now: number): string {
    const flags: string[] = [];
    if (this.failedActiveHc) flags.push('/failed_active_hc');
    if (this.pendingActiveHc) flags.push('/pending_active_hc');
    if (this.ejectedUntil > now) flags.push('/failed_outlier_check');
    return flags.length ? flags.join('') : 'healthy';
  }
}

export class ClusterState {
  hosts: Host[] = [];
  readonly limits = new ClusterLimits();
  private outlier: OutlierDetector | undefined;
  private checker: ActiveHealthChecker | undefined;
  private outlierKey = '';
  private checkerKey = '';
  private next = 0;
  private panicThresholdPercent = DEFAULT_PANIC_THRESHOLD_PERCENT;
  private lb: LoadBalancerConfig | undefined;
  private table: HashTable | undefined;

  constructor(
    private readonly connect: HealthCheckConnect,
    private readonly random: () => number,
    private readonly log: (message: string) => void,
  ) {}

  /** Takes a new version of the cluster: hosts kept by address keep their state. */
  configure(config: ClusterConfig): void {
    const old = new Map(this.hosts.map((h) => [`${h.address}|${h.port}`, h]));
    this.hosts = config.endpoints.map((e) => old.get(`${e.address}|${e.port}`) ?? new Host(e.address, e.port));
    this.limits.configure(config.limits);
    this.panicThresholdPercent = config.panicThresholdPercent ?? DEFAULT_PANIC_THRESHOLD_PERCENT;
    this.lb = config.loadBalancer;
    this.table = hashTable(this.lb, this.hosts.map((h) => `${h.address}:${h.port}`));
    const outlierKey = config.outlierDetection ? JSON.stringify(config.outlierDetection) : '';
    if (outlierKey !== this.outlierKey) {
      this.outlier?.stop();
      this.outlier = config.outlierDetection ? new OutlierDetector(config.outlierDetection, () => this.hosts, this.random) : undefined;
      // A detector switched off (or changed) does not keep hosts out on the old one's word.
      if (!config.outlierDetection) for (const h of this.hosts) h.ejectedUntil = 0;
      this.outlierKey = outlierKey;
    }
    const checkerKey = config.healthCheck ? JSON.stringify(config.healthCheck) : '';
    if (checkerKey !== this.checkerKey) {
      this.checker?.stop();
      for (const h of this.hosts) h.failedActiveHc = h.pendingActiveHc = false;
      this.checker = config.healthCheck ? new ActiveHealthChecker(config.healthCheck, this.connect, this.log) : undefined;
      this.checkerKey = checkerKey;
    }
    this.checker?.track(this.hosts);
  }

  /**
   * A host by the cluster's balancer (MeshLoadBalancingStrategy; round robin by default) among the
   * healthy hosts; among all of them when too few are healthy (Envoy's panic mode); none when none
   * is healthy and panic is off (threshold 0: "no healthy upstream"). `hash`: the request's key for
   * RING_HASH/MAGLEV (without one they pick at random, as Envoy does).
   */
  pick(hash?: number): Host | undefined {
    const hosts = this.hosts;
    const n = hosts.length;
    if (n === 0) return undefined;
    const now = performance.now();
    let healthy = 0;
    for (const h of hosts) if (h.healthy(now)) healthy++;
    const panic = healthy * 100 < n * this.panicThresholdPercent;
    if (healthy === 0 && !panic) return undefined;
    let picked: Host | undefined;
    switch (this.lb?.policy) {
      case 'random':
        picked = this.usableFrom(Math.floor(this.random() * n), panic, now);
        break;
      case 'least_request': {
        // Power of choices: the least busy of `choiceCount` random usable hosts.
        const choices = this.lb.choiceCount ?? 2;
        for (let i = 0; i < choices; i++) {
          const h = this.usableFrom(Math.floor(this.random() * n), panic, now);
          if (h && (!picked || h.active < picked.active)) picked = h;
        }
        break;
      }
      case 'ring_hash':
      case 'maglev':
        picked = this.usableFrom(hash === undefined || !this.table ? Math.floor(this.random() * n) : this.table.lookup(hash), panic, now);
        break;
      default:
        picked = this.usableFrom(this.next++ % n, panic, now);
        if (picked) this.next = hosts.indexOf(picked) + 1;
    }
    if (picked) picked.active++;
    return picked;
  }

  /** The first host from `start` on (wrapping) that may take a request: healthy, or any in panic mode. */
  private usableFrom(start: number, panic: boolean, now: number): Host | undefined {
    const hosts = this.hosts;
    const n = hosts.length;
    for (let i = 0; i < n; i++) {
      const h = hosts[(start + i) % n]!;
      if (panic || h.healthy(now)) return h;
    }
    return undefined;
  }

  /** The balancer in force (for the data path: whether a request's hash key is worth computing). */
  get hashing(): boolean {
    return this.table !== undefined;
  }

  /** The outcome of a request (or, for TCP, a connection) to an endpoint; only hosts of this cluster count. */
  report(endpoint: UpstreamEndpoint, outcome: Outcome): void {
    if (!(endpoint instanceof Host)) return;
    if (endpoint.active > 0) endpoint.active--;
    if (this.checker) this.checker.trafficSeen = true;
    endpoint.rqTotal++;
    if (outcome !== 'success' && (typeof outcome !== 'number' || outcome >= 500)) endpoint.rqError++;
    this.outlier?.report(endpoint, outcome);
  }

  stop(): void {
    this.outlier?.stop();
    this.checker?.stop();
    this.outlier = this.checker = undefined;
  }
}
