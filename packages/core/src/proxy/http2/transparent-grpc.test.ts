import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import type { FlowRecord } from '../../flows/index.ts';
import { dataplaneYaml, resourcesYaml } from '../../testing.ts';
import { eventually, hostRun, installDefaultCapture, startDp, type RunningDp } from '../testing/lab.ts';

// gRPC through capture on both sides, real kernel: a @grpc/grpc-js client in one namespace calls
// the server's address (REDIRECT to 15001, the outbound listener of the grpc service), the
// server's dataplane gets it on 15006 (inbound listener), and a @grpc/grpc-js server answers.
// HTTP/2 on both hops; every call is a flow on both dataplanes.

const here = (name: string): string => fileURLToPath(new URL(`./testing/${name}`, import.meta.url));
const SERVER = '198.18.16.10';
const CLIENT = '198.18.16.1';

const backendYaml = dataplaneYaml({ mesh: 'default', name: 'backend', address: SERVER, inbound: [{ port: 5000, service: 'backend', protocol: 'grpc' }], transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 } });

const webYaml = resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: CLIENT, outbound: [{ port: 5000, address: SERVER, service: 'backend' }], transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 } }),
  backendYaml,
);

describeNetns('gRPC through capture (REDIRECT on both sides, HTTP/2 both hops)', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let backend: RunningDp;
  let web: RunningDp;

  beforeAll(async () => {
    lab = Lab.create('grpc16');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    await Promise.all([installDefaultCapture(client), installDefaultCapture(server)]);
    const app = server.spawnNode(here('grpc-app.mjs'), ['--port', '5000']);
    await app.waitForLine(/"listening"/);
    [backend, web] = await Promise.all([startDp(server, backendYaml), startDp(client, webYaml, { name: 'web' })]);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('unary calls and a server stream: answered through both dataplanes, one flow per call on each side', async () => {
    const probe = client.spawnNode(here('grpc-probe.mjs'), ['--target', `${SERVER}:5000`, '--calls', '20', '--items', '50']);
    const result = JSON.parse(await probe.waitForLine(/"result"/, 30_000)) as { replies: Array<{ echo?: string; peer?: string; code?: number }>; items: number | string };
    expect(result.replies).toHaveLength(20);
    expect(result.replies.every((r, i) => r.echo === `call ${i}`)).toBe(true);
    // The app is called from the server dataplane's inbound source, excluded from capture.
    expect(result.replies[0]!.peer).toMatch(/127\.0\.0\.6/);
    expect(result.items).toBe(50);

    const calls = (flows: FlowRecord[], method: string): FlowRecord[] => flows.filter((f) => f.http?.grpc?.method === method);
    const out = await eventually(async () => {
      const f = await web.flows(200);
      return calls(f, 'Unary').length === 20 && calls(f, 'List').length === 1 && f;
    }, 'client flows');
    expect(calls(out, 'Unary')[0]).toMatchObject({
      direction: 'outbound',
      listener: `outbound:${SERVER}:5000`,
      capture: 'redirect',
      protocol: 'http',
      destination: { address: SERVER, port: 5000 },
      verdict: 'forwarded',
      http: { method: 'POST', path: '/test.Echo/Unary', status: 200, version: 'HTTP/2', grpc: { service: 'test.Echo', method: 'Unary', status: 0 } },
    });
    // One client connection carries every call (HTTP/2 multiplexing).
    expect(new Set(calls(out, 'Unary').map((f) => f.connectionId)).size).toBe(1);
    const inbound = await eventually(async () => {
      const f = await backend.flows(200);
      return calls(f, 'Unary').length === 20 && calls(f, 'List').length === 1 && f;
    }, 'server flows');
    expect(calls(inbound, 'List')[0]).toMatchObject({
      direction: 'inbound',
      listener: `inbound:${SERVER}:5000`,
      capture: 'redirect',
      client: { address: CLIENT },
      http: { version: 'HTTP/2', grpc: { method: 'List', status: 0 } },
    });
    // web's dp multiplexed the calls on one upstream connection, too.
    const stats = await web.stats();
    expect(stats['cluster.backend.upstream_cx_total']).toBe(1);
    expect(stats['cluster.backend.upstream_rq_total']).toBe(21);
  });

  it('h2load: 1,000 gRPC calls as 100 concurrent streams on one connection all succeed, one flow per call', async () => {
    // One gRPC message (uncompressed flag, 4-byte big-endian length, payload), POSTed as h2load's body.
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-h2load-'));
    try {
      const body = join(dir, 'unary.bin');
      writeFileSync(body, Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]));
      const before = (await web.stats())['cluster.backend.upstream_rq_total'] ?? 0;
      const r = await hostRun(client, 'h2load', ['-n', '1000', '-c', '1', '-m', '100', '-d', body, '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://${SERVER}:5000/test.Echo/Unary`], 60_000);
      expect(r.stdout).toMatch(/requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored/);
      expect(r.stdout).toMatch(/status codes: 1000 2xx/);
      const stats = await web.stats();
      expect(stats['cluster.backend.upstream_rq_total']! - before).toBe(1000);
      const flows = await eventually(async () => {
        const f = (await backend.flows(5000)).filter((x) => x.http?.grpc?.method === 'Unary' && x.http.grpc.status === 0);
        return f.length >= 1020 && f;
      }, 'a flow per call on the server side');
      expect(flows.length).toBeGreaterThanOrEqual(1020);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
