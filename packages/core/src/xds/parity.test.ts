import { describe, expect, it } from 'vitest';
import { PolicyCompiler, type DataplanePolicies, type InboundPolicy, type PolicyOrigin, type SourceRule } from '../policy/index.ts';
import { dataplane, http, policyResources } from '../policy/test-fixtures.ts';
import { buildListenerPasses, type ActingPolicy, type HttpExchangeContext, type HttpRoute, type LocalReply, type TcpConnectionContext } from '../proxy/chain.ts';
import { compileProxyConfig, type ListenerConfig } from '../proxy/config.ts';
import { parseRequestHead } from '../proxy/http/head.ts';
import { DEFAULT_RETRY_METHODS as PROXY_RETRY_METHODS } from '../proxy/http/session.ts';
import { AccessLogSinks } from '../policies/mesh-access-log/sink.ts';
import { inboundSource } from '../proxy/policies/conf-source.ts';
import { policyPasses, serviceDirectoryOf } from '../proxy/policies/policy-passes.ts';
import { configDumpOf } from './provider.ts';
import { chainFor, expectEnvoyValid, listenerOf, networkFilter } from './test-fixtures.ts';

// Issue 13: the dump must say what the proxy does. For each client address, the filter chain Envoy
// would pick (by source address) is read back into what it enforces, and compared with what the
// proxy's own passes decide for a connection from that address.

type Obj = Record<string, unknown>;

const BACKEND = '198.18.6.10';
const CLIENTS = { frontend: '198.18.6.11', admin: '198.18.6.12', other: '198.18.6.13', unknown: '198.18.6.99' } as const;

const POLICIES = `
type: MeshTimeout
name: timeout-mesh
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from: [{ targetRef: { kind: Mesh }, default: { idleTimeout: 1h, http: { requestTimeout: 10s } } }]
---
type: MeshRateLimit
name: rate-mesh
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from: [{ targetRef: { kind: Mesh }, default: { local: { http: { requestRate: { num: 100, interval: 1s } }, tcp: { connectionRate: { num: 10, interval: 1s } } } } }]
---
type: MeshTrafficPermission
name: allow-but-other
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - { targetRef: { kind: Mesh }, default: { action: Allow } }
    - { targetRef: { kind: MeshService, name: other }, default: { action: Deny } }
---
type: MeshFaultInjection
name: fault-admin
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from: [{ targetRef: { kind: MeshService, name: admin }, default: { http: [{ abort: { httpStatus: 503, percentage: 100 } }] } }]
---
type: MeshRetry
name: retry-5xx
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: admin }, default: { http: { numRetries: 2, retryOn: [5xx] } } }]
---
type: MeshRetry
name: retry-post
mesh: default
spec:
  targetRef: { kind: Mesh }
  to: [{ targetRef: { kind: MeshService, name: db }, default: { http: { numRetries: 1, retryOn: [5xx, HttpMethodPost] } } }]
`;

function mesh(): PolicyCompiler {
  const pc = new PolicyCompiler();
  pc.applyAll([
    dataplane({ name: 'backend', address: BACKEND, inbound: [{ port: 8080, tags: http('backend') }, { port: 9000, tags: { 'kuma.io/service': 'backend' } }] }),
    dataplane({ name: 'frontend', address: CLIENTS.frontend, inbound: [{ port: 80, tags: http('frontend') }], outbound: [{ port: 10001, service: 'admin' }, { port: 10002, service: 'db' }] }),
    dataplane({ name: 'admin', address: CLIENTS.admin, inbound: [{ port: 80, tags: http('admin') }] }),
    dataplane({ name: 'other', address: CLIENTS.other, inbound: [{ port: 80, tags: http('other') }] }),
    dataplane({ name: 'db', address: '198.18.6.20', inbound: [{ port: 5432, tags: http('db') }] }),
    ...policyResources(POLICIES),
  ]);
  return pc;
}

/**
 * MeshTimeout, MeshRateLimit and MeshAccessLog accept only `Mesh` in `from` (Kuma's matrix), so the
 * compiler never makes their rules depend on the client; DataplanePolicies can still carry such
 * rules (and the proxy honours them), so they are put in front of the compiled ones here.
 */
function withClientRule(dp: DataplanePolicies, port: number, type: 'MeshTimeout' | 'MeshRateLimit' | 'MeshAccessLog', service: string, name: string, conf: unknown): void {
  const ib = dp.inbounds.find((i) => i.port === port)!;
  const policies = ib.policies as Record<string, InboundPolicy<unknown> | undefined>;
  const origin: PolicyOrigin = { type, mesh: 'default', name, targetRefKind: 'MeshService', section: 'from', entry: 0, entryTargetRef: { kind: 'MeshService', name: service }, enabled: true };
  const rule: SourceRule<unknown> = { subset: [{ key: 'kuma.io/service', value: service, not: false }], conf, origins: [origin] };
  const old = policies[type];
  policies[type] = { rules: [rule, ...(old?.rules ?? [])], origins: [...(old?.origins ?? []), origin], sourceDependent: true };
}

function listenersOf(p: DataplanePolicies): Map<string, ListenerConfig> {
  return new Map(compileProxyConfig(p.resource, { services: serviceDirectoryOf(p) }).listeners.map((l) => [l.name, l]));
}

// ---- what the proxy does for a client ----

interface HttpOutcome {
  reply?: number;
  requestTimeoutMs: number;
  retry?: { numRetries: number; methods: readonly string[] };
}

/** Runs the listener's HTTP passes' onRequest for one request from `client`, as the engine would. */
async function proxyHttp(p: DataplanePolicies, listener: ListenerConfig, client: string, method = 'GET'): Promise<HttpOutcome> {
  const passes = buildListenerPasses(listener, policyPasses(p, { accessLogs: new AccessLogSinks(() => {}) }));
  const route: HttpRoute = { connectTimeoutMs: 5000, requestTimeoutMs: 0, streamIdleTimeoutMs: 0, maxStreamDurationMs: 0, responseBytesPerSecond: 0 };
  let reply: LocalReply | undefined;
  const ctx = {
    flow: { client: { address: client, port: 40000 }, destination: { address: listener.address, port: listener.port } },
    http: { attempts: 1 },
    listener,
    request: parseRequestHead(Buffer.from(`${method} / HTTP/1.1\r\nhost: backend\r\n\r\n`, 'latin1')),
    response: undefined,
    route,
    respond: (r: LocalReply) => {
      reply = r;
    },
    record: (_p: ActingPolicy, _a: string) => {},
    random: () => 0,
  } as unknown as HttpExchangeContext;
  for (const pass of passes.http) {
    await pass.onRequest?.(ctx);
    if (reply) break;
  }
  return {
    reply: reply?.status,
    requestTimeoutMs: route.requestTimeoutMs,
    retry: route.retry && { numRetries: route.retry.numRetries, methods: route.retry.methods ?? PROXY_RETRY_METHODS },
  };
}

/** Runs the TCP passes' onConnect for one connection from `client`: denied or not, and the idle timeout. */
function proxyTcp(p: DataplanePolicies, listener: ListenerConfig, client: string): { denied: boolean; idleTimeoutMs?: number } {
  const passes = buildListenerPasses(listener, policyPasses(p, { accessLogs: new AccessLogSinks(() => {}) }));
  let denied = false;
  const ctx = {
    listener,
    client: { address: client, port: 40000 },
    destination: { address: listener.address, port: listener.port },
    idleTimeoutMs: undefined as number | undefined,
    connectTimeoutMs: 5000,
    deny: () => {
      denied = true;
    },
    record: () => {},
  } as unknown as TcpConnectionContext & { idleTimeoutMs?: number };
  for (const pass of passes.tcp) {
    void pass.onConnect?.(ctx);
    if (denied) break;
  }
  return { denied, idleTimeoutMs: ctx.idleTimeoutMs };
}

// ---- what the dump says for a client ----

const seconds = (d: unknown): number => Math.round(Number(String(d).replace(/s$/, '')) * 1000);

/** Reads the HTTP chain Envoy picks for `client`: what a GET from it meets, in filter order. */
function envoyHttp(listener: Obj, client: string): HttpOutcome & { rate?: number; logs: string[]; policies: unknown } {
  const hcm = networkFilter(listener, 'envoy.filters.network.http_connection_manager', client);
  let reply: number | undefined;
  let rate: number | undefined;
  for (const f of hcm['http_filters'] as Obj[]) {
    const c = f['typed_config'] as Obj;
    // The rate limit is read even past a local reply (it is configured for the client all the same).
    if (f['name'] === 'envoy.filters.http.local_ratelimit') rate = (c['token_bucket'] as Obj)['max_tokens'] as number;
    if (reply !== undefined) continue;
    if (f['name'] === 'envoy.filters.http.rbac') {
      // Our chains carry one policy for any principal (allow) or none (deny all).
      if (!(c['rules'] as Obj)['policies']) reply = 403;
    } else if (f['name'] === 'envoy.filters.http.fault') {
      const abort = c['abort'] as Obj | undefined;
      if (abort && (abort['percentage'] as Obj)['numerator'] === 100) reply = abort['http_status'] as number;
    }
  }
  const action = ((((hcm['route_config'] as Obj)['virtual_hosts'] as Obj[])[0]!['routes'] as Obj[])[0]!['route'] as Obj) ?? {};
  const retry = action['retry_policy'] as Obj | undefined;
  return {
    reply,
    rate,
    requestTimeoutMs: action['timeout'] === undefined ? 0 : seconds(action['timeout']),
    retry: retry && {
      numRetries: retry['num_retries'] as number,
      methods: ((retry['retriable_request_headers'] as Obj[] | undefined) ?? []).filter((h) => h['name'] === ':method').map((h) => (h['string_match'] as Obj)['exact'] as string),
    },
    logs: ((hcm['access_log'] as Obj[] | undefined) ?? []).map((l) => (l['typed_config'] as Obj)['path'] as string),
    policies: (chainFor(listener, client)['metadata'] as Obj | undefined)?.['filter_metadata'],
  };
}

function envoyTcp(listener: Obj, client: string): { denied: boolean; idleTimeoutMs?: number; rate?: number } {
  const filters = chainFor(listener, client)['filters'] as Obj[];
  const rbac = filters.find((f) => f['name'] === 'envoy.filters.network.rbac');
  const limit = filters.find((f) => f['name'] === 'envoy.filters.network.local_ratelimit');
  const proxy = (filters.find((f) => f['name'] === 'envoy.filters.network.tcp_proxy')!['typed_config'] as Obj)['idle_timeout'];
  return {
    denied: rbac !== undefined && !((rbac['typed_config'] as Obj)['rules'] as Obj)['policies'],
    idleTimeoutMs: proxy === undefined ? undefined : seconds(proxy),
    rate: limit && (((limit['typed_config'] as Obj)['token_bucket'] as Obj)['max_tokens'] as number),
  };
}

describe('config_dump parity with the proxy (issue 13)', () => {
  const pc = mesh();
  const backend = structuredClone(pc.compile('default', 'backend'));
  for (const port of [8080, 9000]) {
    withClientRule(backend, port, 'MeshTimeout', 'frontend', 'timeout-frontend', { idleTimeout: '30s', http: { requestTimeout: '2s' } });
    withClientRule(backend, port, 'MeshRateLimit', 'admin', 'rate-admin', { local: { http: { requestRate: { num: 1000, interval: '1s' } }, tcp: { connectionRate: { num: 50, interval: '1s' } } } });
    withClientRule(backend, port, 'MeshAccessLog', 'frontend', 'log-frontend', { backends: [{ type: 'File', file: { path: '/tmp/frontend.log' } }] });
  }
  const dump = configDumpOf(backend);
  const listeners = listenersOf(backend);

  it('is strictly valid Envoy JSON', async () => {
    await expectEnvoyValid(dump);
  });

  it('one filter chain per client group on the inbound, matched on the clients’ addresses, then the default chain', () => {
    const chains = listenerOf(dump, `inbound:${BACKEND}:8080`)['filter_chains'] as Obj[];
    expect(chains.map((c) => [c['name'], ((c['filter_chain_match'] as Obj | undefined)?.['source_prefix_ranges'] as Obj[] | undefined)?.map((r) => `${String(r['address_prefix'])}/${String(r['prefix_len'])}`)])).toEqual([
      [`inbound:${BACKEND}:8080:clients-1`, [`${CLIENTS.frontend}/32`]],
      [`inbound:${BACKEND}:8080:clients-2`, [`${CLIENTS.admin}/32`]],
      [`inbound:${BACKEND}:8080:clients-3`, [`${CLIENTS.other}/32`]],
      [`inbound:${BACKEND}:8080`, undefined],
    ]);
    // No node-id matching is needed any more: the chain already chose the client.
    expect(JSON.stringify(dump)).not.toMatch(/downstream_nodes|x-envoy-downstream-service-node|direct_remote_ip/);
  });

  for (const [who, client] of Object.entries(CLIENTS)) {
    it(`HTTP inbound: the chain for ${who} (${client}) enforces what the proxy's passes pick for it`, async () => {
      const proxy = await proxyHttp(backend, listeners.get(`inbound:${BACKEND}:8080`)!, client);
      const envoy = envoyHttp(listenerOf(dump, `inbound:${BACKEND}:8080`), client);
      expect({ reply: envoy.reply, requestTimeoutMs: envoy.reply ? proxy.requestTimeoutMs : envoy.requestTimeoutMs }).toEqual({ reply: proxy.reply, requestTimeoutMs: proxy.requestTimeoutMs });

      // Rate limit and access log: what the proxy's rule source picks for this client.
      const from = { address: client, port: 40000 };
      const to = { address: BACKEND, port: 8080 };
      const rate = inboundSource(backend.inbounds[0]!.policies.MeshRateLimit, backend.identities).pick(from, to);
      const log = inboundSource(backend.inbounds[0]!.policies.MeshAccessLog, backend.identities).pick(from, to);
      expect(envoy.rate).toBe(rate?.conf.local?.http?.requestRate?.num);
      expect(envoy.logs).toEqual((log?.conf.backends ?? []).flatMap((b) => (b.type === 'File' ? [b.file.path] : [])));
    });

    it(`TCP inbound: the chain for ${who} (${client}) has the proxy's permission and idle timeout`, () => {
      const proxy = proxyTcp(backend, listeners.get(`inbound:${BACKEND}:9000`)!, client);
      const envoy = envoyTcp(listenerOf(dump, `inbound:${BACKEND}:9000`), client);
      expect(envoy.denied).toBe(proxy.denied);
      // A denied connection never reaches the timeout pass (nor Envoy's tcp_proxy).
      if (!proxy.denied) expect(envoy.idleTimeoutMs).toBe(proxy.idleTimeoutMs);
    });
  }

  it('the concrete picks, spelled out', async () => {
    const l = listenerOf(dump, `inbound:${BACKEND}:8080`);
    expect(envoyHttp(l, CLIENTS.frontend)).toMatchObject({ reply: undefined, rate: 100, requestTimeoutMs: 2000, logs: ['/tmp/frontend.log'] });
    expect(envoyHttp(l, CLIENTS.admin)).toMatchObject({ reply: 503, rate: 1000, logs: [] });
    expect(envoyHttp(l, CLIENTS.other)).toMatchObject({ reply: 403 });
    expect(envoyHttp(l, CLIENTS.unknown)).toMatchObject({ reply: undefined, rate: 100, requestTimeoutMs: 10000, logs: [] });
    // Each chain names the policies behind its settings: the ones the proxy credits on the flow.
    expect(envoyHttp(l, CLIENTS.admin).policies).toEqual({
      'io.meshcap.policies': {
        policies: [
          { type: 'MeshTrafficPermission', name: 'allow-but-other' },
          { type: 'MeshRateLimit', name: 'rate-admin' },
          { type: 'MeshFaultInjection', name: 'fault-admin' },
          { type: 'MeshTimeout', name: 'timeout-mesh' },
        ],
      },
    });
    const tcp = listenerOf(dump, `inbound:${BACKEND}:9000`);
    expect(envoyTcp(tcp, CLIENTS.admin)).toEqual({ denied: false, idleTimeoutMs: 3_600_000, rate: 50 });
    expect(envoyTcp(tcp, CLIENTS.frontend)).toEqual({ denied: false, idleTimeoutMs: 30_000, rate: 10 });
  });

  it('MeshRetry with retryOn [5xx] and no HttpMethod*: the route retries only the methods the proxy retries', async () => {
    const frontend = pc.compile('default', 'frontend');
    const fdump = configDumpOf(frontend);
    await expectEnvoyValid(fdump);
    const fl = listenersOf(frontend);
    for (const [listener, expected] of [
      ['outbound:127.0.0.1:10001', ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']],
      ['outbound:127.0.0.1:10002', ['POST']],
    ] as const) {
      const proxy = await proxyHttp(frontend, fl.get(listener)!, '127.0.0.1');
      const envoy = envoyHttp(listenerOf(fdump, listener), '127.0.0.1');
      expect(envoy.retry).toEqual(proxy.retry);
      expect(envoy.retry?.methods).toEqual(expected);
    }
  });
});
