import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import type { FlowRecord } from '../../flows/index.ts';
import { PolicyCompiler, type DataplanePolicies } from '../../policy/index.ts';
import { dataplane, http, policyResources } from '../../policy/test-fixtures.ts';
import { allowAllPermissionYaml } from '../../testing.ts';
import { buildListenerPasses, type ActingPolicy, type TcpConnectionContext } from '../chain.ts';
import { compileProxyConfig, type ListenerConfig } from '../config.ts';
import { AccessLogSinks } from '../../policies/mesh-access-log/sink.ts';
import { policyPasses, serviceDirectoryOf } from './policy-passes.ts';

// Which passes land on which listener, and how a passthrough picks its service per connection.
// Enforcement on real traffic is enforcement.test.ts; this is the mapping, without a kernel.

const POLICIES = `
${allowAllPermissionYaml({ name: 'allow-all', service: 'web' })}---
type: MeshFaultInjection
name: fi-web
mesh: default
spec:
  targetRef: { kind: MeshService, name: web }
  from: [{ targetRef: { kind: Mesh }, default: { http: [{ delay: { value: 1s, percentage: 5 } }] } }]
---
type: MeshTimeout
name: timeout-backend
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: backend }, default: { connectionTimeout: 1s, http: { requestTimeout: 2s } } }]
---
type: MeshRetry
name: retry-backend
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: backend }, default: { http: { numRetries: 2 } } }]
---
type: MeshAccessLog
name: log-out
mesh: default
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: Mesh }
      default: { backends: [{ file: { path: /dev/stdout } }, { tcp: { address: "198.18.4.99:5000" } }] }
`;

function compiled(extra = ''): { compiler: PolicyCompiler; web: DataplanePolicies } {
  const compiler = new PolicyCompiler();
  compiler.applyAll([
    dataplane({ name: 'web', address: '198.18.4.1', inbound: [{ port: 8080, tags: http('web') }], transparent: true }),
    dataplane({ name: 'backend-1', address: '198.18.4.10', inbound: [{ port: 8080, tags: http('backend') }] }),
    dataplane({ name: 'db-1', address: '198.18.4.20', inbound: [{ port: 5432, tags: { 'kuma.io/service': 'db' } }] }),
    ...policyResources(POLICIES + extra),
  ]);
  return { compiler, web: compiler.compile('default', 'web') };
}

function listenersOf(p: DataplanePolicies): Map<string, ListenerConfig> {
  return new Map(compileProxyConfig(p.resource, { services: serviceDirectoryOf(p) }).listeners.map((l) => [l.name, l]));
}

function chainNames(p: DataplanePolicies, listener: ListenerConfig): { tcp: string[]; http: string[] } {
  const passes = buildListenerPasses(listener, policyPasses(p, { accessLogs: new AccessLogSinks(() => {}) }));
  return { tcp: passes.tcp.map((x) => x.name), http: passes.http.map((x) => x.name) };
}

/** A connection as the TCP chain sees it, for running onConnect by hand. */
function connection(listener: ListenerConfig, destination: { address: string; port: number }): TcpConnectionContext & { actions: string[] } {
  const actions: string[] = [];
  return {
    flow: { policies: [] } as unknown as FlowRecord,
    listener,
    client: { address: '198.18.4.1', port: 40000 },
    destination,
    connectTimeoutMs: 5000,
    idleTimeoutMs: 3_600_000,
    requestHeadersTimeoutMs: 0,
    maxConnectionDurationMs: 0,
    deny: (p: ActingPolicy, reason: string) => void actions.push(`${p.name} deny ${reason}`),
    record: (p: ActingPolicy, action: string) => void actions.push(`${p.name} ${action}`),
    random: () => 0.5,
    actions,
  };
}

describe('policyPasses', () => {
  const { web } = compiled();
  const listeners = listenersOf(web);

  it("puts an inbound's from-policies on its listener, in the chain's fixed order", () => {
    expect(chainNames(web, listeners.get('inbound:198.18.4.1:8080')!)).toEqual({
      tcp: [],
      http: ['x-request-id', 'MeshTrafficPermission/allow-all', 'MeshFaultInjection/fi-web'],
    });
  });

  it('gives the inbound passthrough nothing', () => {
    expect(chainNames(web, listeners.get('inbound:passthrough:ipv4')!)).toEqual({ tcp: [], http: [] });
  });

  it('puts the to-policies of the destination service on the outbound passthrough, chosen per connection', () => {
    const out = listeners.get('outbound:passthrough:ipv4')!;
    expect(chainNames(web, out)).toEqual({ tcp: ['MeshTimeout/timeout-backend', 'MeshAccessLog/log-out'], http: [] });
    const [timeout] = buildListenerPasses(out, policyPasses(web)).tcp;
    const toBackend = connection(out, { address: '198.18.4.10', port: 8080 });
    void timeout!.onConnect(toBackend);
    expect(toBackend.connectTimeoutMs).toBe(1000);
    for (const other of [
      { address: '198.18.4.20', port: 5432 }, // db: no timeout policy
      { address: '198.18.4.10', port: 9999 }, // not an endpoint of backend
      { address: '198.18.9.9', port: 80 }, // outside the mesh
    ]) {
      const c = connection(out, other);
      void timeout!.onConnect(c);
      expect(c.connectTimeoutMs).toBe(5000);
    }
  });

  it('says what it does not enforce', () => {
    expect(policyPasses(web).warnings).toEqual(['MeshAccessLog log-out: Tcp backends are not supported; only File backends (and /dev/stdout) are written']);
  });

  it('leaves out a policy toggled off for the dataplane', () => {
    const { compiler } = compiled();
    compiler.setToggle('default', 'web', 'MeshFaultInjection', 'fi-web', false);
    const off = compiler.compile('default', 'web');
    expect(chainNames(off, listenersOf(off).get('inbound:198.18.4.1:8080')!).http).toEqual(['x-request-id', 'MeshTrafficPermission/allow-all']);
  });

  it('refuses an access log format with an unknown operator, naming the policy', () => {
    const { web: bad } = compiled(`
---
type: MeshAccessLog
name: log-bad
mesh: default
spec:
  targetRef: { kind: MeshService, name: web }
  from: [{ targetRef: { kind: Mesh }, default: { backends: [{ file: { path: /dev/stdout, format: { plain: "%NOPE%" } } }] } }]
`);
    const provider = policyPasses(bad);
    const err = (() => {
      try {
        provider.forListener(listenersOf(bad).get('inbound:198.18.4.1:8080')!);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MeshcapError);
    expect((err as MeshcapError).code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    expect((err as MeshcapError).message).toBe('MeshAccessLog log-bad: default.backends[0].file.format: unknown command operator %NOPE%');
  });
});

describe('access log subjects', () => {
  it('names the source service of an IPv6 client whose Dataplane writes its address in another form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-access-'));
    const path = join(dir, 'access.log');
    try {
      const compiler = new PolicyCompiler();
      compiler.applyAll([
        dataplane({ name: 'api-1', address: '2001:2::1', inbound: [{ port: 9000, tags: { 'kuma.io/service': 'api' } }], transparent: true }),
        // The kernel reports this dataplane's connections as coming from 2001:2::b.
        dataplane({ name: 'caller-1', address: '2001:2:0:0::B', inbound: [{ port: 9000, tags: { 'kuma.io/service': 'caller' } }] }),
        ...policyResources(`
type: MeshAccessLog
name: log-api
mesh: default
spec:
  targetRef: { kind: MeshService, name: api }
  from: [{ targetRef: { kind: Mesh }, default: { backends: [{ file: { path: ${path}, format: { plain: "%KUMA_SOURCE_SERVICE% %KUMA_SOURCE_ADDRESS_WITHOUT_PORT%" } } }] } }]
`),
      ]);
      const api = compiler.compile('default', 'api-1');
      const listener = listenersOf(api).get('inbound:2001:2::1:9000')!;
      const [log] = buildListenerPasses(listener, policyPasses(api, { accessLogs: new AccessLogSinks(() => {}) })).tcp;
      const ctx = connection(listener, { address: '2001:2::1', port: 9000 });
      Object.assign(ctx, { client: { address: '2001:2::b', port: 40000 }, flow: { direction: 'inbound', client: { address: '2001:2::b', port: 40000 }, policies: [] } });
      void log!.onClose!(ctx);
      expect(ctx.actions).toEqual([`log-api log ${path}`]);
      let text = '';
      for (let i = 0; i < 100 && !text.includes('\n'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      }
      expect(text).toBe('caller 2001:2::b\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('policy counters in /stats', () => {
  it('reports each access log sink: lines written, dropped, errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-stats-'));
    try {
      const sinks = new AccessLogSinks(() => {});
      const sink = sinks.get(join(dir, 'access.log'));
      sink.write('one\n');
      sink.write('two\n');
      const stats = policyPasses(compiled().web, { accessLogs: sinks }).stats();
      const scope = `access_log.${join(dir, 'access.log').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+/, '')}`;
      expect(stats).toEqual([
        { name: `${scope}.lines_written`, value: 2, gauge: false },
        { name: `${scope}.lines_dropped`, value: 0, gauge: false },
        { name: `${scope}.errors`, value: 0, gauge: false },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
