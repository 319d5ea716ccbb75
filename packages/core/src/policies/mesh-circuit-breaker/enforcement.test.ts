import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, poolConnections, poolRequest, startPoolLab, WEB, type PoolLab } from '../../proxy/testing/pool-lab.ts';

// MeshCircuitBreaker through xDS: outlier_detection and circuit_breakers, as rendered, enforced by
// meshcap dp on real endpoints.

const policy = (conf: string): string => `
type: MeshCircuitBreaker
name: cb
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      default: ${conf}
`;

describe('MeshCircuitBreaker enforced by meshcap dp', () => {
  let lab: PoolLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it('outlier detection: three 5xx in a row eject an endpoint for baseEjectionTime, then it is back', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('{ outlierDetection: { interval: 100ms, baseEjectionTime: 600ms, maxEjectionPercent: 50, detectors: { totalFailures: { consecutive: 3 } } } }'));
    const bad = lab.apps[2]!;
    bad.failing = true;
    const statuses: number[] = [];
    // Round robin: the bad endpoint gets every third request; its third 500 ejects it.
    for (let i = 0; i < 9; i++) statuses.push((await poolRequest(lab)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    expect(await lab.outHosts()).toEqual([bad.address]);
    const hits = bad.hits;
    for (let i = 0; i < 12; i++) expect((await poolRequest(lab)).status).toBe(200);
    expect(bad.hits).toBe(hits);
    bad.failing = false;
    expect(await eventually(async () => (await lab!.outHosts()).length === 0, 3_000)).toBe(true);
    for (let i = 0; i < 6; i++) expect((await poolRequest(lab)).status).toBe(200);
    expect(bad.hits).toBeGreaterThan(hits);
  });

  it('outlier detection: a killed backend (connection refused) is ejected after the consecutive failures; no error after', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('{ outlierDetection: { interval: 1s, baseEjectionTime: 30s, detectors: { totalFailures: { consecutive: 2 } } } }'));
    await lab.apps[0]!.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await poolRequest(lab)).status);
    // The dead one is hit twice (each a 503 connect failure), then it is out.
    expect(statuses.filter((s) => s !== 200)).toEqual([503, 503]);
    expect(statuses.slice(10).every((s) => s === 200)).toBe(true);
    expect(await lab.outHosts()).toEqual([lab.apps[0]!.address]);
  });

  it('maxEjectionPercent: no more hosts are out than it allows (but one always may be)', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('{ outlierDetection: { interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 10, detectors: { totalFailures: { consecutive: 1 } } } }'));
    for (const a of lab.apps) a.failing = true;
    for (let i = 0; i < 9; i++) await poolRequest(lab);
    expect(await lab.outHosts()).toHaveLength(1);
  });

  it('maxRequests: a request over the limit is answered 503 with x-envoy-overloaded, flow reason upstream_overflow', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('{ connectionLimits: { maxRequests: 2 } }'));
    const results = await Promise.all([0, 1, 2].map(() => poolRequest(lab!, '/slow')));
    const overflowed = results.filter((r) => r.status === 503);
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(overflowed).toHaveLength(1);
    expect(overflowed[0]!.headers['x-envoy-overloaded']).toBe('true');
    expect(lab.web.flows.recent().filter((f) => f.reason === 'upstream_overflow')).toHaveLength(1);
    const stats = await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/stats?filter=pool.upstream_rq_pending_overflow`)).text();
    expect(stats).toContain('cluster.pool.upstream_rq_pending_overflow: 1');
  });

  it('maxConnections 1, maxPendingRequests 1: one request waits for the connection, one more overflows', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('{ connectionLimits: { maxConnections: 1, maxPendingRequests: 1 } }'));
    poolConnections.max = 0;
    const results = await Promise.all([0, 1, 2].map((i) => new Promise((r) => setTimeout(r, i * 20)).then(() => poolRequest(lab!, '/slow'))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    expect(poolConnections.max).toBe(1);
    const c = (await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/clusters`)).text()).split('\n');
    expect(c).toContain('pool::default_priority::max_connections::1');
    expect(c).toContain('pool::upstream_cx_overflow::2');
  });

  it('TCP: over maxConnections the connection is closed and the flow says upstream_overflow', async () => {
    lab = await startPoolLab('tcp');
    await lab.apply(policy('{ connectionLimits: { maxConnections: 1 } }'));
    /** Connects from web; resolves with what arrived before the connection closed or was reset. */
    const open = (): { socket: net.Socket; received: Promise<string> } => {
      const socket = net.connect({ host: '127.0.0.1', port: lab!.port, localAddress: WEB });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (data += d));
      socket.on('error', () => {});
      return { socket, received: new Promise((r) => socket.on('close', () => r(data))) };
    };
    const first = open();
    await new Promise((r) => first.socket.once('data', r));
    // The first connection is open upstream: the second is over the limit and closed, with nothing from the app.
    expect(await open().received).toBe('');
    first.socket.end();
    expect(await first.received).toMatch(/^127\.0\.0\.1[123]$/);
    expect(lab.web.flows.recent().some((f) => f.reason === 'upstream_overflow')).toBe(true);
  });
});
