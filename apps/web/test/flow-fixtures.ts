import type { Flow } from '../features/flows/api/types.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

/** A deterministic flow: `i` spaces them 10 ms apart; every 7th is an HTTP 503 error, every 5th inbound. */
export function makeFlow(i: number, over: Partial<Flow> = {}): Flow {
  const error = i % 7 === 0;
  return {
    id: `f-${i}`,
    connectionId: `c-${i}`,
    start: T0 + i * 10,
    mesh: 'default',
    dataplane: i % 2 ? 'backend-1' : 'frontend-1',
    direction: i % 5 === 0 ? 'inbound' : 'outbound',
    listener: 'outbound:passthrough:ipv4',
    cluster: 'outbound:passthrough:ipv4',
    capture: 'redirect',
    protocol: 'http',
    client: { address: '198.18.0.2', port: 40000 + i },
    destination: { address: '198.18.0.3', port: 5000 },
    upstream: { address: '198.18.0.3', port: 5000 },
    bytes: { fromClient: 120, toClient: 2048 },
    http: { method: 'GET', authority: 'backend:5000', path: `/items/${i}`, status: error ? 503 : 200, requestBytes: 0, responseBytes: 1024, requestId: `r-${i}`, attempts: 1 },
    timings: { connectMs: 0.4, firstByteMs: 2.5, totalMs: 3.1 },
    verdict: error ? 'error' : 'forwarded',
    ...(error ? { reason: 'upstream_503' } : {}),
    policies: [],
    ...over,
  };
}

export function makeFlows(n: number, from = 0): Flow[] {
  return Array.from({ length: n }, (_, k) => makeFlow(from + k));
}
