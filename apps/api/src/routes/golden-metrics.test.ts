import type { FlowRecord } from '@meshcap/core';
import { dataplaneYaml, resourcesYaml } from '@meshcap/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenMetrics, LATENCY_BUCKETS_MS } from '../flows/golden-metrics.ts';
import { applyYaml, startTestApp, type TestControlPlane } from '../test-support.ts';

const resources = resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: '198.18.0.10', inbound: [{ port: 8080, service: 'web', protocol: 'http' }] }),
  dataplaneYaml({ mesh: 'default', name: 'backend-1', address: '198.18.0.11', inbound: [{ port: 9000, service: 'backend', protocol: 'http' }] }),
);

let seq = 0;
function flow(over: Partial<FlowRecord> & { status?: number }): FlowRecord {
  seq++;
  const { status = 200, ...rest } = over;
  return {
    id: `gm-${seq}`,
    connectionId: `gm-${seq}`,
    start: Date.now() - 1_000,
    mesh: 'default',
    dataplane: 'backend-1',
    direction: 'inbound',
    listener: 'inbound:198.18.0.11:9000',
    cluster: 'localhost:9000',
    capture: 'redirect',
    protocol: 'http',
    client: { address: '198.18.0.10', port: 40000 + seq },
    destination: { address: '198.18.0.11', port: 9000 },
    bytes: { fromClient: 10, toClient: 20 },
    http: { method: 'GET', authority: 'backend', path: '/', status, requestBytes: 0, responseBytes: 0, requestId: `r-${seq}`, attempts: 1 },
    timings: { totalMs: 1 },
    verdict: 'forwarded',
    policies: [],
    ...rest,
  };
}

describe('golden metrics from flows', () => {
  it('counts 5xx, 4xx, denials and other local replies apart, with nearest-rank percentiles per step', () => {
    const now = Date.UTC(2026, 11, 3, 12, 0, 2, 500);
    const flows = [
      ...Array.from({ length: 10 }, (_, i) => flow({ start: now - 100, timings: { totalMs: i + 1 } })),
      flow({ start: now - 100, status: 503, timings: { totalMs: 50 } }),
      flow({ start: now - 100, status: 404 }),
      flow({ start: now - 100, verdict: 'denied', status: 403 }),
      flow({ start: now - 100, verdict: 'faulted', status: 500 }),
      flow({ start: now - 100, verdict: 'error', status: 503 }),
      // The previous step (5 s steps, aligned), and one outside the window.
      flow({ start: now - 6_000, timings: { totalMs: 7 } }),
      flow({ start: now - 6 * 60_000 }),
    ];
    const m = goldenMetrics(flows, () => true, now, '5m');
    expect(m.stepS).toBe(5);
    expect(m.points).toHaveLength(60);
    expect(m.to - m.from).toBe(300_000);
    const last = m.points.at(-1)!;
    // The last step (12:00:00–12:00:05) is 2.5 s old: its rate is over those 2.5 s; a whole step's over 5 s.
    expect(last).toMatchObject({ requests: 15, rate: 6, upstream5xx: 1, upstream4xx: 1, denied: 1, localReplies: 2 });
    // 15 durations: 1..10, 50, 1, 1, 1, 1 → sorted 1,1,1,1,1,2,…,10,50: p50 is the 8th, p90 the 14th, p99 the 15th.
    expect([last.p50Ms, last.p90Ms, last.p99Ms]).toEqual([4, 10, 50]);
    expect(m.points.at(-2)).toMatchObject({ requests: 1, rate: 0.2, p50Ms: 7 });
    expect(m.points.at(-3)).toMatchObject({ requests: 0, p50Ms: null });
    expect(m.totals).toMatchObject({ requests: 16, upstream5xx: 1, denied: 1, localReplies: 2 });
    expect(m.oldestFlow).toBe(now - 6 * 60_000);
    const [listener] = m.listeners;
    expect(listener!.requests).toBe(16);
    // 0.5 < 1 ≤ 1 ms: five flows of 1 ms in the 1 ms bucket, 2–5 ms in the 5 ms one, 6–10 in the 10 ms one, 50 in the 50 ms one.
    const counts = Object.fromEntries(listener!.histogram.map((b) => [String(b.leMs), b.count]));
    expect(counts).toMatchObject({ '0.5': 0, '1': 5, '5': 4, '10': 6, '50': 1, null: 0 });
    expect(listener!.histogram).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
  });
});

describe('golden metrics routes', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestApp();
    expect((await applyYaml(cp.app, resources)).statusCode).toBe(200);
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'backend-1' }, [flow({ timings: { totalMs: 2 } }), flow({ verdict: 'denied', status: 403 }), flow({ status: 502 })]);
    cp.app.flows.ingest({ mesh: 'default', dataplane: 'web' }, [
      flow({ dataplane: 'web', direction: 'outbound', listener: 'outbound:240.0.0.1:80', status: 403 }),
      flow({ dataplane: 'web', direction: 'inbound', listener: 'inbound:198.18.0.10:8080', timings: { totalMs: 3_000 } }),
    ]);
  });
  afterAll(() => cp.close());

  it("a service's metrics are its dataplanes' inbound flows", async () => {
    const res = await cp.app.inject('/api/meshes/default/services/backend/metrics?window=15m');
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m).toMatchObject({ mesh: 'default', service: 'backend', dataplanes: ['backend-1'], window: '15m', stepS: 15 });
    expect(m.totals).toMatchObject({ requests: 3, denied: 1, upstream5xx: 1, upstream4xx: 0, localReplies: 0 });
    expect(m.points).toHaveLength(60);
  });

  it("a dataplane's metrics cover both directions, per listener", async () => {
    const m = (await cp.app.inject('/api/meshes/default/dataplanes/web/metrics')).json();
    expect(m).toMatchObject({ dataplane: 'web', window: '5m', stepS: 5 });
    expect(m.totals).toMatchObject({ requests: 2, upstream4xx: 1 });
    expect(m.listeners.map((l: { listener: string; requests: number }) => [l.listener, l.requests])).toEqual([
      ['inbound:198.18.0.10:8080', 1],
      ['outbound:240.0.0.1:80', 1],
    ]);
    const slow = m.listeners[0].histogram.find((b: { count: number }) => b.count > 0);
    expect(slow.leMs).toBe(5000);
  });

  it('refuses an unknown service, dataplane or window with a coded error', async () => {
    const service = await cp.app.inject('/api/meshes/default/services/nope/metrics');
    expect(service.statusCode).toBe(404);
    expect(service.json().code).toBe('MESHCAP_ERR_NOT_FOUND');
    expect((await cp.app.inject('/api/meshes/default/dataplanes/nope/metrics')).statusCode).toBe(404);
    const window = await cp.app.inject('/api/meshes/default/dataplanes/web/metrics?window=2h');
    expect(window.statusCode).toBe(400);
    expect(window.json().issues[0].path).toContain('window');
  });
});
