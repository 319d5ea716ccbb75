import type { Socket } from 'node:net';
import type { Host } from '../../proxy/cluster-state.ts';

/**
 * Active health checking as Envoy does it, per host of a cluster: every interval (plus jitter) a
 * TCP connect (optionally sending bytes and expecting others back) or an HTTP/1.1 request whose
 * status must be among the expected ones. `unhealthy_threshold` failures in a row mark a host
 * unhealthy; an HTTP status that is not expected marks it at once (Envoy ignores the threshold
 * then); `healthy_threshold` passes bring it back. The first answer decides for a new host.
 */

export interface HealthCheckConfig {
  timeoutMs: number;
  intervalMs: number;
  intervalJitterMs: number;
  intervalJitterPercent: number;
  initialJitterMs: number;
  /** Until the cluster has had traffic, checks run this often (Envoy's no_traffic_interval, 60 s). */
  noTrafficIntervalMs: number;
  unhealthyIntervalMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  logFailures: boolean;
  http?: { host: string; path: string; method: string; headers: [string, string][]; removeHeaders: string[]; expectedStatuses: [number, number][] };
  tcp?: { send: Buffer | undefined; receive: Buffer[] };
}

/** Opens a connection to a host for a check (from the dataplane, never captured again); rejects on failure. */
export type HealthCheckConnect = (host: Host, timeoutMs: number) => Promise<Socket>;

/** What one check found: `pass`, a network failure, or an unexpected HTTP status (immediately unhealthy). */
type CheckResult = 'pass' | 'network' | 'status';

/** A response head larger than this is a failure, not something to keep buffering. */
const MAX_RESPONSE_BYTES = 16 * 1024;

interface Tracked {
  timer: NodeJS.Timeout | undefined;
  failures: number;
  passes: number;
}

export class ActiveHealthChecker {
  private readonly tracked = new Map<Host, Tracked>();
  private stopped = false;
  /** Has the cluster carried traffic? Until then checks run at the no-traffic interval. */
  trafficSeen = false;
  private readonly request: Buffer | undefined;

  constructor(
    private readonly config: HealthCheckConfig,
    private readonly connect: HealthCheckConnect,
    private readonly log?: (message: string) => void,
  ) {
    const h = config.http;
    if (h) {
      const defaults: [string, string][] = [['Host', h.host], ['User-Agent', 'Envoy/HC']];
      const headers = [...defaults, ...h.headers].filter(([k]) => k === 'Host' || !h.removeHeaders.includes(k.toLowerCase()));
      this.request = Buffer.from(`${h.method} ${h.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`, 'latin1');
    }
  }

  /** The hosts to check now: new ones start (pending), removed ones stop. */
  track(hosts: readonly Host[]): void {
    const now = new Set(hosts);
    for (const [h, t] of this.tracked) {
      if (now.has(h)) continue;
      clearTimeout(t.timer);
      this.tracked.delete(h);
    }
    for (const h of hosts) {
      if (this.tracked.has(h)) continue;
      const t: Tracked = { timer: undefined, failures: 0, passes: 0 };
      this.tracked.set(h, t);
      h.pendingActiveHc = true;
      this.schedule(h, t, this.config.initialJitterMs > 0 ? Math.random() * this.config.initialJitterMs : 0);
    }
  }

  private schedule(host: Host, t: Tracked, delayMs: number): void {
    if (this.stopped) return;
    t.timer = setTimeout(() => {
      this.check(host).then(
        (r) => this.record(host, t, r),
        () => this.record(host, t, 'network'),
      );
    }, delayMs);
    t.timer.unref();
  }

  private nextDelay(host: Host): number {
    const c = this.config;
    const base = !this.trafficSeen ? c.noTrafficIntervalMs : host.failedActiveHc ? c.unhealthyIntervalMs : c.intervalMs;
    return base + Math.random() * (c.intervalJitterMs + (base * c.intervalJitterPercent) / 100);
  }

  private record(host: Host, t: Tracked, r: CheckResult): void {
    if (this.stopped || this.tracked.get(host) !== t) return;
    const c = this.config;
    if (r === 'pass') {
      t.failures = 0;
      t.passes++;
      if (host.pendingActiveHc || (host.failedActiveHc && t.passes >= c.healthyThreshold)) host.failedActiveHc = false;
    } else {
      t.passes = 0;
      t.failures++;
      if (host.pendingActiveHc || r === 'status' || t.failures >= c.unhealthyThreshold) host.failedActiveHc = true;
      if (c.logFailures) this.log?.(`health check of ${host.address}:${host.port} failed (${r === 'status' ? 'unexpected status' : 'network'})`);
    }
    host.pendingActiveHc = false;
    this.schedule(host, t, this.nextDelay(host));
  }

  private async check(host: Host): Promise<CheckResult> {
    const c = this.config;
    let socket: Socket | undefined;
    const deadline = setTimeout(() => socket?.destroy(), c.timeoutMs);
    try {
      socket = await this.connect(host, c.timeoutMs);
      if (c.tcp && c.tcp.receive.length === 0) {
        if (c.tcp.send) socket.write(c.tcp.send);
        return 'pass';
      }
      return await this.exchange(socket);
    } catch {
      return 'network';
    } finally {
      clearTimeout(deadline);
      socket?.destroy();
    }
  }

  /** Sends the check's bytes and reads until the answer is judged or the socket goes. */
  private exchange(socket: Socket): Promise<CheckResult> {
    const c = this.config;
    return new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      const done = (r: CheckResult): void => {
        socket.off('data', onData);
        resolve(r);
      };
      const onData = (chunk: Buffer): void => {
        buf = Buffer.concat([buf, chunk]);
        const r = c.http ? this.judgeHttp(buf) : this.judgeTcp(buf);
        if (r !== undefined) done(r);
        else if (buf.length > MAX_RESPONSE_BYTES) done('network');
      };
      socket.on('data', onData);
      socket.once('close', () => done('network'));
      socket.write(c.http ? this.request! : (c.tcp!.send ?? Buffer.alloc(0)));
    });
  }

  private judgeHttp(buf: Buffer): CheckResult | undefined {
    const eol = buf.indexOf('\r\n');
    if (eol < 0) return undefined;
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1', 0, eol));
    if (!m) return 'network';
    const status = Number(m[1]);
    return this.config.http!.expectedStatuses.some(([s, e]) => status >= s && status < e) ? 'pass' : 'status';
  }

  /** Each expected block, in order, not necessarily contiguous (Envoy's "fuzzy" match). */
  private judgeTcp(buf: Buffer): CheckResult | undefined {
    let at = 0;
    for (const block of this.config.tcp!.receive) {
      const i = buf.indexOf(block, at);
      if (i < 0) return undefined;
      at = i + block.length;
    }
    return 'pass';
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.tracked.values()) clearTimeout(t.timer);
    this.tracked.clear();
  }
}
