import { describe, expect, it } from 'vitest';
import { makeFlow } from '../../test/flow-fixtures.ts';
import type { DataplaneSummary } from '../dataplanes/api/types.ts';
import type { Flow } from '../flows/api/types.ts';
import { p99, serviceGraph } from './service-graph.ts';

const NOW = Date.parse('2026-11-22T10:01:00.000Z');

const dp = (name: string, address: string): DataplaneSummary =>
  ({ mesh: 'default', name, address, tags: { 'kuma.io/service': name }, connected: true, status: 'online' }) as unknown as DataplaneSummary;
const DPS = [dp('client', '198.18.0.4'), dp('frontend', '198.18.0.2'), dp('backend', '198.18.0.3')];
const http = makeFlow(0).http!;

/** A request of the demo: `count` of them over the last 50 s, with totals 1..count ms. */
let seq = 0;
function calls(count: number, over: (i: number) => Partial<Flow>): Flow[] {
  return Array.from({ length: count }, (_, i) => makeFlow(1000 + i, { id: `call-${seq++}`, start: NOW - 50_000 + i * 10, timings: { totalMs: i + 1 }, ...over(i) }));
}

// client → frontend (both sides recorded), frontend → backend, client → backend directly: denied by the backend.
export const FLOWS_OF_THE_DEMO = [
  ...calls(100, () => ({ dataplane: 'client', direction: 'outbound', cluster: 'frontend', client: { address: '198.18.0.4', port: 40000 }, destination: { address: '198.18.0.2', port: 5000 }, verdict: 'forwarded', http: { ...http, status: 200 } })),
  ...calls(100, () => ({ dataplane: 'frontend', direction: 'inbound', cluster: 'localhost:5000', client: { address: '198.18.0.4', port: 40000 }, destination: { address: '198.18.0.2', port: 5000 }, verdict: 'forwarded', http: { ...http, status: 200 } })),
  ...calls(50, (i) => ({ dataplane: 'frontend', direction: 'outbound', cluster: 'backend', client: { address: '198.18.0.2', port: 41000 }, destination: { address: '198.18.0.3', port: 8080 }, verdict: 'forwarded', http: { ...http, status: i < 5 ? 503 : 200 } })),
  ...calls(10, () => ({ dataplane: 'client', direction: 'outbound', cluster: 'outbound:passthrough:ipv4', client: { address: '198.18.0.4', port: 42000 }, destination: { address: '198.18.0.3', port: 8080 }, verdict: 'forwarded', http: { ...http, path: '/counter', status: 403 } })),
  ...calls(10, () => ({ dataplane: 'backend', direction: 'inbound', cluster: 'localhost:8080', client: { address: '198.18.0.4', port: 42000 }, destination: { address: '198.18.0.3', port: 8080 }, verdict: 'denied', http: { ...http, path: '/counter', status: 403 } })),
  // an old flow, outside the window
  makeFlow(1, { dataplane: 'client', direction: 'outbound', cluster: 'frontend', start: NOW - 120_000 }),
  // a caller outside the mesh, seen only on the callee's side
  ...calls(4, () => ({ dataplane: 'frontend', direction: 'inbound', cluster: 'localhost:5000', client: { address: '203.0.113.9', port: 50000 }, destination: { address: '198.18.0.2', port: 5000 }, verdict: 'forwarded', http: { ...http, status: 200 } })),
];

describe('serviceGraph', () => {
  const g = serviceGraph(FLOWS_OF_THE_DEMO, DPS, NOW);
  const edge = (from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to)!;

  it('has the services as nodes, linking to their service page, and callers outside the mesh', () => {
    expect(g.nodes.map((n) => [n.id, n.kind, n.href])).toEqual([
      ['default/client', 'service', '/meshes/default/services/client'],
      ['default/frontend', 'service', '/meshes/default/services/frontend'],
      ['default/backend', 'service', '/meshes/default/services/backend'],
      ['external/203.0.113.9', 'external', undefined],
    ]);
  });

  it('counts each call once, on the caller side, with rate, error share and p99 over the window', () => {
    expect(g.windowS).toBeCloseTo(50, 0);
    const cf = edge('default/client', 'default/frontend');
    expect(cf.requests).toBe(100); // not 200: the frontend's inbound side of the same calls is not counted again
    expect(cf.rate).toBeCloseTo(2, 1);
    expect(cf.errorPct).toBe(0);
    expect(cf.p99Ms).toBe(99);
    const fb = edge('default/frontend', 'default/backend');
    expect(fb.requests).toBe(50);
    expect(fb.errorPct).toBe(10);
    expect(fb.denied).toBe(0);
    expect(edge('external/203.0.113.9', 'default/frontend').requests).toBe(4);
  });

  it('marks the edge the callee denied, and counts the denials once', () => {
    const cb = edge('default/client', 'default/backend');
    expect(cb.requests).toBe(10);
    expect(cb.errorPct).toBe(100);
    expect(cb.denied).toBe(10);
  });

  it("links an edge to its flows on the caller's side", () => {
    expect(edge('default/frontend', 'default/backend').href).toBe('/flows?dataplane=frontend&direction=outbound&q=198.18.0.3%3A8080');
    expect(edge('external/203.0.113.9', 'default/frontend').href).toBe('/flows?dataplane=frontend&direction=inbound&q=203.0.113.9');
  });

  it('p99 is the nearest rank', () => {
    expect(p99([])).toBe(0);
    expect(p99([5])).toBe(5);
    expect(p99(Array.from({ length: 200 }, (_, i) => i + 1))).toBe(198);
  });
});
