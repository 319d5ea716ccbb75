import type { FlowRecord } from '@meshcap/core';
import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, cpDir, transparentDataplaneYaml, eventually, flowsOf, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * HTTP policies on gRPC calls, through capture on both sides and pushed by the real control plane:
 * a @grpc/grpc-js client in `web` dials backend's address (REDIRECT to web's outbound listener,
 * HTTP/2), backend's dataplane gets it on 15006 and a @grpc/grpc-js server answers. Each policy is
 * applied over the API, checked with the status the client sees and the flow, then deleted.
 */

const WEB = '198.18.20.1';
const BACKEND = '198.18.20.2';
const grpcFile = (name: string): string => fileURLToPath(new URL(`../../../../packages/core/src/proxy/http2/testing/${name}`, import.meta.url));

const where = cpDir('meshcap-grpc-netns-');

interface Reply {
  echo?: string;
  code?: number;
  details?: string;
}

describeNetns('gRPC through capture with the HTTP policies of the control plane', () => {
  let lab: Lab;
  let web: Host;
  let backend: Host;
  let cp: Cp;
  const dps: HostProcess[] = [];

  const apply = (yaml: string) => api(cp, '/api/resources', { method: 'POST', body: yaml, type: 'application/yaml' });
  const remove = (type: string, name: string) => api(cp, `/api/meshes/default/resources/${type}/${name}`, { method: 'DELETE' });
  const backendFlows = (): Promise<FlowRecord[]> => flowsOf(cp, 'backend', 500);
  const webFlows = (): Promise<FlowRecord[]> => flowsOf(cp, 'web', 500);
  const calls = async (method: 'unary' | 'slow' | 'flaky', n = 3): Promise<Reply[]> => {
    const probe = web.spawnNode(grpcFile('grpc-probe.mjs'), ['--target', `${BACKEND}:5000`, '--calls', String(n), '--method', method]);
    return (JSON.parse(await probe.waitForLine(/"result"/, 30_000)) as { replies: Reply[] }).replies;
  };
  /** Applies `yaml`, then calls until every reply is what `ok` wants (the push is asynchronous). */
  const inForce = async (yaml: string, method: 'unary' | 'slow' | 'flaky', ok: (r: Reply) => boolean, what: string): Promise<Reply[]> => {
    await apply(yaml);
    return eventually(async () => {
      const replies = await calls(method);
      return replies.every(ok) ? replies : undefined;
    }, what);
  };

  beforeAll(async () => {
    cp = await startCp(where);
    lab = Lab.create('grpc-pol');
    web = await lab.host('web');
    backend = await lab.host('backend');
    await lab.link(web, backend, { a: [`${WEB}/24`], b: [`${BACKEND}/24`] });
    for (const h of [web, backend]) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
    const app = backend.spawnNode(grpcFile('grpc-app.mjs'), ['--port', '5000']);
    await app.waitForLine(/"listening"/);
    dps.push(
      ...(await startDataplanes(cp, where, [
        { name: 'web', host: web, yaml: transparentDataplaneYaml({ name: 'web', address: WEB, inbound: [{ port: 7000, service: 'web' }], outbound: [{ port: 5000, address: BACKEND, service: 'backend' }] }) },
        { name: 'backend', host: backend, yaml: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: [{ port: 5000, service: 'backend', protocol: 'grpc' }] }) },
      ])),
    );
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    rmSync(where.dir, { recursive: true, force: true });
  });

  it('every call is a flow on both sides with its method and grpc-status, captured by REDIRECT', async () => {
    const since = Date.now();
    const replies = await eventually(async () => {
      const r = await calls('unary', 5);
      return r.every((x) => x.echo?.startsWith('call ')) ? r : undefined;
    }, 'calls answered through both dataplanes');
    expect(replies).toHaveLength(5);
    const inbound = await eventually(async () => {
      const f = (await backendFlows()).filter((x) => x.start >= since && x.direction === 'inbound' && x.http?.grpc?.method === 'Unary');
      return f.length >= 5 ? f : undefined;
    }, 'the inbound flows');
    expect(inbound[0]).toMatchObject({ capture: 'redirect', client: { address: WEB }, http: { path: '/test.Echo/Unary', version: 'HTTP/2', grpc: { service: 'test.Echo', method: 'Unary', status: 0 } } });
    const outbound = (await webFlows()).filter((x) => x.start >= since && x.direction === 'outbound' && x.http?.grpc?.method === 'Unary');
    expect(outbound.length).toBeGreaterThanOrEqual(5);
    expect(outbound[0]).toMatchObject({ capture: 'redirect', destination: { address: BACKEND, port: 5000 }, http: { grpc: { status: 0 } } });
  });

  it('MeshFaultInjection abort 503 gives the client UNAVAILABLE, and the flow says the fault acted', async () => {
    const since = Date.now();
    await inForce(
      `type: MeshFaultInjection\nname: grpc-abort\nmesh: default\nspec:\n  targetRef: { kind: MeshService, name: backend }\n  from:\n    - { targetRef: { kind: Mesh }, default: { http: [{ abort: { httpStatus: 503, percentage: 100 } }] } }\n`,
      'unary',
      (r) => r.code === 14,
      'UNAVAILABLE from the fault',
    );
    const f = await eventually(async () => (await backendFlows()).find((x) => x.start >= since && x.http?.grpc?.status === 14 && x.policies.some((p) => p.type === 'MeshFaultInjection')), 'the faulted flow');
    expect(f.verdict).toBe('faulted');
    await remove('MeshFaultInjection', 'grpc-abort');
  });

  it('MeshTrafficPermission deny gives PERMISSION_DENIED', async () => {
    const since = Date.now();
    await inForce(
      `type: MeshTrafficPermission\nname: grpc-deny\nmesh: default\nspec:\n  targetRef: { kind: MeshService, name: backend }\n  from:\n    - { targetRef: { kind: Mesh }, default: { action: Deny } }\n`,
      'unary',
      (r) => r.code === 7,
      'PERMISSION_DENIED from the permission',
    );
    const f = await eventually(async () => (await backendFlows()).find((x) => x.start >= since && x.verdict === 'denied' && x.http?.grpc?.method === 'Unary'), 'the denied flow');
    expect(f.policies).toContainEqual(expect.objectContaining({ type: 'MeshTrafficPermission', name: 'grpc-deny' }));
    await remove('MeshTrafficPermission', 'grpc-deny');
  });

  it('MeshTimeout gives DEADLINE_EXCEEDED after the request timeout (the method answers after 1 s)', async () => {
    await inForce(
      `type: MeshTimeout\nname: grpc-timeout\nmesh: default\nspec:\n  targetRef: { kind: MeshService, name: backend }\n  from:\n    - { targetRef: { kind: Mesh }, default: { http: { requestTimeout: 300ms } } }\n`,
      'slow',
      (r) => r.code === 4,
      'DEADLINE_EXCEEDED from the timeout',
    );
    await remove('MeshTimeout', 'grpc-timeout');
    // Without it the same method answers.
    await eventually(async () => ((await calls('slow', 1))[0]?.echo === 'late' ? true : undefined), 'the slow call answered again');
  });

  it("MeshRetry on unavailable turns each call's first-attempt UNAVAILABLE into success", async () => {
    // Without the retry, the first attempt's UNAVAILABLE reaches the client.
    expect((await calls('flaky', 2)).map((r) => r.code)).toEqual([14, 14]);
    const replies = await inForce(
      `type: MeshRetry\nname: grpc-retry\nmesh: default\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - { targetRef: { kind: MeshService, name: backend }, default: { grpc: { numRetries: 2, retryOn: [Unavailable] } } }\n`,
      'flaky',
      (r) => r.echo === 'ok after 2',
      'success after one retry',
    );
    expect(replies).toHaveLength(3);
    const f = await eventually(async () => (await webFlows()).find((x) => x.direction === 'outbound' && x.http?.grpc?.method === 'Flaky' && (x.http.attempts ?? 1) > 1), 'the retried flow');
    expect(f.http).toMatchObject({ attempts: 2, grpc: { status: 0 } });
    expect(f.policies).toContainEqual(expect.objectContaining({ type: 'MeshRetry', name: 'grpc-retry' }));
    await remove('MeshRetry', 'grpc-retry');
  });
});
