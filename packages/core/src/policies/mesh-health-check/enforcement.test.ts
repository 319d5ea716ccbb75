import { afterEach, describe, expect, it } from 'vitest';
import { eventually, poolRequest, startPoolLab, type PoolLab } from '../../proxy/testing/pool-lab.ts';

// MeshHealthCheck through xDS: the cluster's health_checks, as rendered, run by meshcap dp against
// real endpoints; an unhealthy one gets no traffic and /clusters says why.

const policy = (conf: string): string => `
type: MeshHealthCheck
name: hc
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      default: { interval: 50ms, noTrafficInterval: 50ms, timeout: 200ms, unhealthyThreshold: 2, healthyThreshold: 1, ${conf} }
`;

describe('MeshHealthCheck enforced by meshcap dp', () => {
  let lab: PoolLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it('without a policy the three endpoints share the traffic round robin', async () => {
    lab = await startPoolLab();
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await poolRequest(lab);
      expect(r.status).toBe(200);
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    expect([...seen.values()]).toEqual([10, 10, 10]);
  });

  it('HTTP check: an endpoint whose /health answers 503 is taken out at once, and back in when it passes', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('http: { path: /health, expectedStatuses: [200] }'));
    const sick = lab.apps[1]!;
    expect(await eventually(() => lab!.apps.every((a) => a.healthChecks > 0))).toBe(true);
    sick.unhealthy = true;
    expect(await eventually(async () => (await lab!.outHosts()).includes(sick.address))).toBe(true);
    const c = await lab.poolCluster();
    expect(c.host_statuses.find((h) => h.address.socket_address.address === sick.address)!.health_status).toMatchObject({ failed_active_health_check: true });
    const before = sick.hits;
    for (let i = 0; i < 20; i++) expect((await poolRequest(lab)).status).toBe(200);
    expect(sick.hits).toBe(before);
    sick.unhealthy = false;
    expect(await eventually(async () => (await lab!.outHosts()).length === 0)).toBe(true);
    for (let i = 0; i < 6; i++) await poolRequest(lab);
    expect(sick.hits).toBeGreaterThan(before);
  });

  it('a killed backend fails its checks and is ejected: the client sees no error after that', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('tcp: {}, http: { disabled: true }'));
    const dead = lab.apps[0]!;
    await dead.kill();
    expect(await eventually(async () => (await lab!.outHosts()).includes(dead.address))).toBe(true);
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await poolRequest(lab)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const text = await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/clusters`)).text();
    expect(text).toContain(`pool::${dead.address}:${dead.port}::health_flags::/failed_active_hc`);
  });

  it('the policy removed: the checks stop and every endpoint is in again', async () => {
    lab = await startPoolLab();
    await lab.apply(policy('http: { path: /health }'));
    lab.apps[2]!.unhealthy = true;
    expect(await eventually(async () => (await lab!.outHosts()).length === 1)).toBe(true);
    await lab.remove('MeshHealthCheck', 'hc');
    expect(await lab.outHosts()).toEqual([]);
    const checks = lab.apps.map((a) => a.healthChecks);
    await new Promise((r) => setTimeout(r, 200));
    expect(lab.apps.map((a) => a.healthChecks)).toEqual(checks);
  });

  it("every endpoint unhealthy: Envoy's panic mode still balances over all; healthyPanicThreshold 0 answers 503 no healthy upstream", async () => {
    lab = await startPoolLab();
    await lab.apply(policy('http: { path: /health }'));
    for (const a of lab.apps) a.unhealthy = true;
    expect(await eventually(async () => (await lab!.outHosts()).length === 3)).toBe(true);
    expect((await poolRequest(lab)).status).toBe(200);
    await lab.apply(`
type: MeshCircuitBreaker
name: no-panic
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - { targetRef: { kind: MeshService, name: pool }, default: { outlierDetection: { healthyPanicThreshold: 0 } } }
`);
    const r = await poolRequest(lab);
    expect([r.status, r.body]).toEqual([503, 'no healthy upstream']);
    expect(lab.web.flows.recent()[0]).toMatchObject({ reason: 'no_healthy_upstream' });
  });
});
