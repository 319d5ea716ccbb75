import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { decodeHealthChecks } from './decode.ts';

const base = { timeout: '1s', interval: '5s', unhealthy_threshold: 2, healthy_threshold: 1 };
const refusal = (value: unknown): string => {
  try {
    decodeHealthChecks(value, 'Cluster "c".health_checks', 'c');
  } catch (err) {
    if (err instanceof MeshcapError) return err.message;
    throw err;
  }
  return 'accepted';
};

describe('health_checks as meshcap dp runs them', () => {
  it("HTTP: Envoy's defaults (200 only, GET, Host the cluster name) and the rendered values", () => {
    expect(decodeHealthChecks([{ ...base, no_traffic_interval: '2s', http_health_check: { path: '/h' } }], 'x', 'pool')).toMatchObject({
      timeoutMs: 1000,
      intervalMs: 5000,
      noTrafficIntervalMs: 2000,
      unhealthyIntervalMs: 5000,
      http: { host: 'pool', path: '/h', method: 'GET', expectedStatuses: [[200, 201]] },
    });
    expect(decodeHealthChecks([{ ...base, http_health_check: { path: '/', expected_statuses: [{ start: '200', end: '300' }] } }], 'x', 'c')!.http!.expectedStatuses).toEqual([[200, 300]]);
  });

  it('TCP: hex text and base64 binary payloads', () => {
    const c = decodeHealthChecks([{ ...base, tcp_health_check: { send: { text: '50494e47' }, receive: [{ binary: Buffer.from('PONG').toString('base64') }] } }], 'x', 'c')!;
    expect(c.tcp!.send!.toString()).toBe('PING');
    expect(c.tcp!.receive[0]!.toString()).toBe('PONG');
  });

  it('refuses, naming the field, what it cannot run or Envoy would not take', () => {
    expect(refusal([{ ...base, interval: undefined, tcp_health_check: {} }])).toBe('Cluster "c".health_checks[0].interval: is required and must be more than 0s (as in Envoy)');
    expect(refusal([{ ...base, healthy_threshold: 0, tcp_health_check: {} }])).toMatch(/health_checks\[0\]\.healthy_threshold: is required and must be 1 or more/);
    expect(refusal([{ ...base }])).toMatch(/health_checks\[0\]: needs exactly one of http_health_check and tcp_health_check/);
    expect(refusal([{ ...base, http_health_check: { path: '/', codec_client_type: 'HTTP2' } }])).toMatch(/http_health_check\.codec_client_type: "HTTP2" is not supported/);
    expect(refusal([{ ...base, http_health_check: { path: '/', expected_statuses: [{ start: '300', end: '200' }] } }])).toMatch(/expected_statuses\[0\]: \[300, 200\) is not a range/);
    expect(refusal([{ ...base, tcp_health_check: { send: { text: 'xyz' } } }])).toMatch(/tcp_health_check\.send\.text: must be hex digits/);
    expect(refusal([{ ...base, event_log_path: '/tmp/x', tcp_health_check: {} }])).toMatch(/health_checks\[0\]\.event_log_path: not supported by meshcap dp/);
    expect(refusal([{ ...base, tcp_health_check: {} }, { ...base, tcp_health_check: {} }])).toMatch(/only one health check per cluster/);
  });
});
