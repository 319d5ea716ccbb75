import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, Server, ServerCredentials, status, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { register as registerXds } from '@grpc/grpc-js-xds';
import { dataplaneYaml, resourcesYaml } from '@meshcap/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';

/**
 * A proxyless gRPC client (grpc-js with @grpc/grpc-js-xds, no sidecar) runs from our ADS: its
 * bootstrap is `meshcap generate bootstrap`'s, it dials `xds:///backend`, and the backend's
 * MeshFaultInjection and MeshRetry apply to its calls because grpc-js enforces them from xDS.
 */

interface EchoRequest {
  id: string;
  /** The server answers UNAVAILABLE to this many attempts of the call before it succeeds. */
  failFirst?: number;
  /** The server waits this long before it answers. */
  delayMs?: number;
}

const raw = (b: Buffer): Buffer => b;
const ECHO = {
  Echo: { path: '/meshcap.test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};

/** The backend dataplane's workload: a real grpc-js server on loopback that counts the attempts of each call. */
async function startBackend(name = 'backend'): Promise<{ port: number; attempts: Map<string, number>; close(): void }> {
  const attempts = new Map<string, number>();
  const server = new Server();
  const impl: UntypedServiceImplementation = {
    Echo(call: { request: Buffer }, done: (err: Partial<ServiceError> | null, res?: Buffer) => void) {
      const req = JSON.parse(call.request.toString()) as EchoRequest;
      const n = (attempts.get(req.id) ?? 0) + 1;
      attempts.set(req.id, n);
      const answer = () => (n <= (req.failFirst ?? 0) ? done({ code: status.UNAVAILABLE, details: `attempt ${n} refused` }) : done(null, Buffer.from(`pong ${req.id} from ${name}`)));
      if (req.delayMs) setTimeout(answer, req.delayMs);
      else answer();
    },
  };
  server.addService(ECHO, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, attempts, close: () => server.forceShutdown() };
}

const MESH = (backendPort: number) =>
  resourcesYaml(
    dataplaneYaml({ mesh: 'default', name: 'web', address: '198.18.0.5', inbound: [{ port: 8080, service: 'web', protocol: 'grpc' }], outbound: [{ port: 10001, service: 'backend' }] }),
    dataplaneYaml({ mesh: 'default', name: 'backend', address: '127.0.0.1', inbound: [{ port: backendPort, service: 'backend', protocol: 'grpc' }] }),
  );

const abort = (httpStatus: number) => `type: MeshFaultInjection
mesh: default
name: backend-abort
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - targetRef: { kind: Mesh }
      default:
        http:
          - abort: { httpStatus: ${httpStatus}, percentage: 100 }
`;

const TIMEOUT = `type: MeshTimeout
mesh: default
name: backend-timeout
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default:
        http: { requestTimeout: 200ms }
`;

const SECOND_BACKEND = (port: number) => dataplaneYaml({ mesh: 'default', name: 'backend-2', address: '127.0.0.1', inbound: [{ port, service: 'backend', protocol: 'grpc' }] });

const RETRY = `type: MeshRetry
mesh: default
name: backend-retry
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: backend }
      default:
        grpc: { numRetries: 3, retryOn: [Unavailable], backOff: { baseInterval: 10ms, maxInterval: 50ms } }
`;

type CallResult = { ok: true; reply: string } | { ok: false; code: status; details: string };

describe('a proxyless grpc-js client through the ADS server', { timeout: 30_000 }, () => {
  let cp: TestControlPlane;
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let dir: string;
  let client: InstanceType<ReturnType<typeof makeGenericClientConstructor>>;
  let seq = 0;

  function call(req: Omit<EchoRequest, 'id'> = {}): Promise<CallResult & { id: string }> {
    const id = `call-${++seq}`;
    return new Promise((resolve) => {
      client.makeUnaryRequest<Buffer, Buffer>(ECHO.Echo.path, raw, raw, Buffer.from(JSON.stringify({ id, ...req })), { deadline: Date.now() + 5_000 }, (err, res) =>
        resolve(err ? { id, ok: false, code: err.code, details: err.details } : { id, ok: true, reply: res!.toString() }),
      );
    });
  }

  /** Calls until `done` holds for a result (the client applies a pushed config a moment after the apply), bounded. */
  async function callUntil(done: (r: CallResult) => boolean, what: string, req: Omit<EchoRequest, 'id'> = {}): Promise<CallResult & { id: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await call(req);
      if (done(r)) return r;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last call: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-proxyless-'));
    backend = await startBackend();
    cp = await startTestApp();
    const xdsAddress = await cp.app.xds.listen('127.0.0.1:0');
    expect((await applyYaml(cp.app, MESH(backend.port))).statusCode).toBe(200);
    const token = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name: 'web' } });
    writeFileSync(join(dir, 'web.token'), token.json<{ token: string }>().token);

    const out: string[] = [];
    const code = await main(['generate', 'bootstrap', '--dataplane', 'web', '--xds-address', xdsAddress, '--token-file', join(dir, 'web.token')], { stdout: (t) => out.push(t), stderr: (t) => out.push(t) });
    expect(code, out.join('\n')).toBe(0);
    // grpc-js-xds reads its bootstrap once, when the first xds: channel is made.
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = out.join('\n');
    registerXds();
    const Echo = makeGenericClientConstructor({}, 'Echo');
    client = new Echo('xds:///backend', credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    backend?.close();
    await cp?.close();
    delete process.env['GRPC_XDS_BOOTSTRAP_CONFIG'];
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves xds:///backend through our ADS and reaches the backend dataplane; the client ACKed what it was sent', async () => {
    const r = await call();
    expect(r).toMatchObject({ ok: true, reply: `pong ${r.id} from backend` });
    expect(backend.attempts.get(r.id)).toBe(1);
    const s = cp.app.dataplanes.statuses.get('default', 'web');
    expect(s).toMatchObject({ configSource: 'xds', xdsStreams: 1, totalNacks: 0 });
    expect(s.configVersion).toMatch(/^proxyless-[0-9a-f]{12}$/);
  });

  it('a MeshFaultInjection abort (100%) on backend fails every call with the status gRPC maps it to, before it leaves the client', async () => {
    expect((await applyYaml(cp.app, abort(503))).statusCode).toBe(200);
    const unavailable = await callUntil((r) => !r.ok, 'the fault to apply');
    expect(unavailable).toMatchObject({ ok: false, code: status.UNAVAILABLE, details: 'Fault injected' });
    expect(backend.attempts.has(unavailable.id)).toBe(false);
    // 403 maps to PERMISSION_DENIED (gRFC A33's table).
    expect((await applyYaml(cp.app, abort(403))).statusCode).toBe(200);
    expect(await callUntil((r) => !r.ok && r.code === status.PERMISSION_DENIED, 'the new abort status')).toMatchObject({ details: 'Fault injected' });
    const del = await cp.app.inject({ method: 'DELETE', url: '/api/meshes/default/resources/MeshFaultInjection/backend-abort', headers: AUTH });
    expect(del.statusCode).toBe(200);
    await callUntil((r) => r.ok, 'calls to pass again once the fault is deleted');
    expect(cp.app.dataplanes.statuses.get('default', 'web').totalNacks).toBe(0);
  });

  it('a MeshRetry on backend makes the client retry UNAVAILABLE: a call refused twice succeeds on its third attempt', async () => {
    // Without the policy the first refusal is the answer.
    const once = await call({ failFirst: 2 });
    expect(once).toMatchObject({ ok: false, code: status.UNAVAILABLE, details: 'attempt 1 refused' });
    expect(backend.attempts.get(once.id)).toBe(1);
    expect((await applyYaml(cp.app, RETRY)).statusCode).toBe(200);
    const retried = await callUntil((r) => r.ok, 'the retry policy to apply', { failFirst: 2 });
    expect(retried).toMatchObject({ ok: true, reply: `pong ${retried.id} from backend` });
    expect(backend.attempts.get(retried.id)).toBe(3);
    // numRetries 3: four attempts at most, then the last refusal is the answer.
    const exhausted = await call({ failFirst: 9 });
    expect(exhausted).toMatchObject({ ok: false, code: status.UNAVAILABLE, details: 'attempt 4 refused' });
    expect(backend.attempts.get(exhausted.id)).toBe(4);
  });

  it('a MeshTimeout on backend caps the call: a slow answer ends in DEADLINE_EXCEEDED (route max_stream_duration)', async () => {
    expect((await call({ delayMs: 400 })).ok).toBe(true);
    expect((await applyYaml(cp.app, TIMEOUT)).statusCode).toBe(200);
    const capped = await callUntil((r) => !r.ok, 'the timeout to apply', { delayMs: 400 });
    expect(capped).toMatchObject({ ok: false, code: status.DEADLINE_EXCEEDED });
    expect((await call({ delayMs: 10 })).ok).toBe(true);
  });

  it('a second backend dataplane joins the service: its endpoint comes by EDS and the client calls it too', async () => {
    const second = await startBackend('backend-2');
    try {
      expect((await applyYaml(cp.app, SECOND_BACKEND(second.port))).statusCode).toBe(200);
      const r = await callUntil((x) => x.ok && x.reply.endsWith('from backend-2'), 'a call to reach backend-2');
      expect(second.attempts.get(r.id)).toBe(1);
    } finally {
      second.close();
    }
  });
});
