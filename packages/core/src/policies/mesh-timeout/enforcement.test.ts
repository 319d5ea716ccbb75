import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolRequest, startPoolLab, WEB, type PoolLab } from '../../proxy/testing/pool-lab.ts';

// MeshTimeout's HTTP timeouts through xDS: the connection manager's stream_idle_timeout,
// request_headers_timeout and common_http_protocol_options, as rendered, enforced by meshcap dp.

/** Raw bytes on one connection through the pool outbound; resolves with all that came back once it closed. */
function rawExchange(lab: PoolLab, writes: { at: number; bytes: string }[], timeoutMs = 3_000): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect({ host: '127.0.0.1', port: lab.port, localAddress: WEB });
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('error', () => {});
    const guard = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    s.on('close', () => {
      clearTimeout(guard);
      resolve({ data, closedAfterMs: Date.now() - t0 });
    });
    for (const w of writes) setTimeout(() => s.write(w.bytes), w.at);
  });
}

describe('MeshTimeout HTTP timeouts enforced by meshcap dp', () => {
  let lab: PoolLab;
  beforeAll(async () => {
    lab = await startPoolLab();
    await lab.apply(`
type: MeshTimeout
name: tight
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: pool }
      default: { http: { requestTimeout: 0s, streamIdleTimeout: 100ms, maxStreamDuration: 400ms, maxConnectionDuration: 600ms, requestHeadersTimeout: 150ms } }
`);
  });
  afterAll(() => lab?.stop());

  it('the rendered connection manager carries them, and meshcap dp accepted it', async () => {
    const dump = (await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/config_dump`)).json()) as { configs: { dynamic_listeners?: { active_state: { listener: { name: string; filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] } } }[] }[] };
    const listeners = dump.configs.flatMap((c) => c.dynamic_listeners ?? []).map((l) => l.active_state.listener);
    const hcm = listeners.find((l) => l.name === `outbound:127.0.0.1:${lab.port}`)!.filter_chains[0]!.filters[0]!.typed_config;
    expect(hcm).toMatchObject({ stream_idle_timeout: '0.100s', request_headers_timeout: '0.150s', common_http_protocol_options: { max_stream_duration: '0.400s', max_connection_duration: '0.600s' } });
  });

  it('streamIdleTimeout: an upstream silent for longer answers 408 "stream timeout", credited to the policy', async () => {
    const r = await poolRequest(lab, '/slow');
    expect([r.status, r.body]).toEqual([408, 'stream timeout']);
    const flow = lab.web.flows.recent().find((f) => f.http?.path === '/slow')!;
    expect(flow).toMatchObject({ reason: 'stream_idle_timeout', policies: [{ type: 'MeshTimeout', name: 'tight', action: 'stream idle timeout 0.100s' }] });
  });

  it('maxStreamDuration: a response that keeps coming is cut at the bound (the client sees a reset)', async () => {
    await expect(poolRequest(lab, '/drip')).rejects.toThrow();
    const flow = lab.web.flows.recent().find((f) => f.http?.path === '/drip')!;
    expect(flow).toMatchObject({ verdict: 'error', reason: 'max_stream_duration' });
  });

  it('requestHeadersTimeout: a head that does not complete in time gets 408 and the connection closes', async () => {
    const r = await rawExchange(lab, [{ at: 0, bytes: 'GET / HTTP/1.1\r\nHost: pool\r\n' }]);
    expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('maxConnectionDuration: a keep-alive connection is closed once that old; the request in flight completes', async () => {
    const req = 'GET / HTTP/1.1\r\nHost: pool\r\n\r\n';
    const r = await rawExchange(lab, [{ at: 0, bytes: req }, { at: 300, bytes: req }]);
    expect(r.data.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(550);
    const stats = await (await fetch(`http://127.0.0.1:${lab.web.admin!.port}/stats?filter=downstream_cx_max_duration_reached`)).text();
    expect(stats).toMatch(/downstream_cx_max_duration_reached: [1-9]/);
  });
});
