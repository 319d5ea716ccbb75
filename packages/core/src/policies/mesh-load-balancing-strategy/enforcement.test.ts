import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { POOL_ADDRESSES, poolRequest, startPoolLab, WEB, type PoolLab } from '../../proxy/testing/pool-lab.ts';

// MeshLoadBalancingStrategy and MeshTCPRoute through xDS, enforced by meshcap dp on the pool's
// three real endpoints (127.0.0.11–13).

const strategy = (lb: string): string => `
type: MeshLoadBalancingStrategy
name: lb
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      default: { loadBalancer: ${lb} }
`;

/** One TCP connection from web through the pool outbound: the address the app wrote back. */
function tcpAnswer(lab: PoolLab): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: lab.port, localAddress: WEB });
    s.setEncoding('utf8');
    s.setTimeout(5_000, () => s.destroy(new Error('timed out')));
    s.once('data', (d: string) => {
      resolve(d);
      s.end();
    });
    s.on('error', reject);
  });
}

function counts(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe('MeshLoadBalancingStrategy enforced by meshcap dp', () => {
  let lab: PoolLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it('round robin (no policy) answers in strict turn; Random does not', async () => {
    lab = await startPoolLab();
    const rr: string[] = [];
    for (let i = 0; i < 30; i++) rr.push((await poolRequest(lab)).body);
    expect(Object.values(counts(rr))).toEqual([10, 10, 10]);
    expect(rr.slice(0, 3).join()).toBe(rr.slice(3, 6).join());
    await lab.apply(strategy('{ type: Random }'));
    const random: string[] = [];
    for (let i = 0; i < 300; i++) random.push((await poolRequest(lab)).body);
    const c = counts(random);
    expect(Object.keys(c).sort()).toEqual([...POOL_ADDRESSES]);
    // Every endpoint gets its share, but not in turn: some run of three is not a permutation.
    for (const n of Object.values(c)) expect(n).toBeGreaterThan(50);
    expect(random.some((_, i) => i % 3 === 0 && i + 2 < random.length && new Set(random.slice(i, i + 3)).size < 3)).toBe(true);
  });

  it('RingHash on a header: one user always reaches the same endpoint; users spread over several', async () => {
    lab = await startPoolLab();
    await lab.apply(strategy('{ type: RingHash, ringHash: { minRingSize: 256, hashPolicies: [{ type: Header, header: { name: x-user } }] } }'));
    const byUser = new Map<string, Set<string>>();
    for (let u = 0; u < 20; u++) {
      for (let i = 0; i < 3; i++) {
        const body = (await poolRequest(lab, '/', { headers: { 'x-user': `user-${u}` } })).body;
        byUser.set(`user-${u}`, (byUser.get(`user-${u}`) ?? new Set()).add(body));
      }
    }
    for (const seen of byUser.values()) expect(seen.size).toBe(1);
    expect(new Set([...byUser.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
    // An ejected endpoint's users move to another one, the others stay where they were.
    const victim = [...byUser.values()].map((s) => [...s][0]!)[0]!;
    const app = lab.apps.find((a) => a.address === victim)!;
    await lab.apply(`type: MeshCircuitBreaker\nname: cb\nmesh: default\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: MeshService, name: pool }\n      default: { outlierDetection: { interval: 10s, baseEjectionTime: 30s, detectors: { totalFailures: { consecutive: 1 } } } }`);
    app.failing = true;
    await poolRequest(lab, '/', { headers: { 'x-user': 'user-0' } });
    for (const [user, seen] of byUser) {
      const now = (await poolRequest(lab, '/', { headers: { 'x-user': user } })).body;
      if ([...seen][0] === victim) expect(now).not.toBe(victim);
      else expect(now).toBe([...seen][0]);
    }
  });

  it('Maglev on a query parameter: sticky per key', async () => {
    lab = await startPoolLab();
    await lab.apply(strategy('{ type: Maglev, maglev: { tableSize: 251, hashPolicies: [{ type: QueryParameter, queryParameter: { name: id } }] } }'));
    const first = new Map<number, string>();
    for (let k = 0; k < 12; k++) first.set(k, (await poolRequest(lab, `/?id=${k}`)).body);
    for (let k = 0; k < 12; k++) expect((await poolRequest(lab, `/?id=${k}`)).body).toBe(first.get(k));
    expect(new Set(first.values()).size).toBeGreaterThan(1);
  });

  it('LeastRequest: while one endpoint has a slow request in flight, the others take every new request (round robin would not)', async () => {
    lab = await startPoolLab();
    await lab.apply(strategy('{ type: LeastRequest, leastRequest: { choiceCount: 40 } }'));
    const slow = poolRequest(lab, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    const busy = lab.apps.find((a) => a.hits === 1)!;
    const quick: string[] = [];
    for (let i = 0; i < 6; i++) quick.push((await poolRequest(lab)).body);
    expect(quick).not.toContain(busy.address);
    expect((await slow).body).toBe(busy.address);
  });

  it('TCP: a Connection (source IP) hash keeps every connection from web on one endpoint', async () => {
    lab = await startPoolLab('tcp');
    await lab.apply(strategy('{ type: RingHash, ringHash: { hashPolicies: [{ type: Connection, connection: { sourceIP: true } }] } }'));
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(await tcpAnswer(lab));
    expect(seen.size).toBe(1);
  });
});

describe('MeshTCPRoute enforced by meshcap dp', () => {
  let lab: PoolLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it('a 3:1 split between two subsets holds over 400 connections; the flows credit the route', async () => {
    lab = await startPoolLab('tcp', { tags: [{ role: 'primary' }, { role: 'replica' }, { role: 'replica' }] });
    await lab.apply(`
type: MeshTCPRoute
name: tcp-split
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      rules:
        - default:
            backendRefs:
              - { kind: MeshServiceSubset, name: pool, tags: { role: primary }, weight: 3 }
              - { kind: MeshServiceSubset, name: pool, tags: { role: replica }, weight: 1 }
`);
    const answers: string[] = [];
    for (let i = 0; i < 400; i++) answers.push(await tcpAnswer(lab));
    const c = counts(answers);
    expect(c[POOL_ADDRESSES[0]]).toBeGreaterThanOrEqual(270);
    expect(c[POOL_ADDRESSES[0]]).toBeLessThanOrEqual(330);
    expect((c[POOL_ADDRESSES[1]] ?? 0) + (c[POOL_ADDRESSES[2]] ?? 0)).toBe(400 - c[POOL_ADDRESSES[0]]!);
    const flows = lab.web.flows.recent().filter((f) => f.protocol === 'tcp' && f.direction === 'outbound');
    expect(flows.some((f) => f.cluster === 'pool_role-replica' && f.policies.some((p) => p.type === 'MeshTCPRoute' && p.name === 'tcp-split'))).toBe(true);
  });
});
