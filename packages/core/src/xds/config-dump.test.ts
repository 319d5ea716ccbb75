import { describe, expect, it } from 'vitest';
import { buildConfigDump, configDumpOfResources, configDumpVersion, resourcesOfConfigDump } from './config-dump.ts';
import { formatEnvoyJson } from './envoy-json.ts';
import { configDumpOf, xdsResourcesOf } from './provider.ts';
import { dataplaneYaml, resourcesYaml, SEED_DATAPLANE_YAML } from '../testing.ts';
import {
  SEED,
  chainFor,
  clusterOf,
  configOf,
  dumpFor,
  expectEnvoyValid,
  expectGolden,
  httpFilterNames,
  inputFor,
  listenerOf,
  meshWith,
  networkFilter,
} from './test-fixtures.ts';

// The seed's fault: fixed_delay 5s, percentage {numerator: 50, denominator: TEN_THOUSAND} — 0.5 %.
const FAULT = `
---
type: MeshFaultInjection
mesh: default
name: demo-app-delay
spec:
  targetRef:
    kind: MeshService
    name: demo-app
  from:
    - targetRef:
        kind: Mesh
      default:
        http:
          - delay:
              value: 5s
              percentage: "0.5"
            abort:
              httpStatus: 503
              percentage: 10
`;

describe('buildConfigDump: the seed dataplane', () => {
  it('renders listeners, clusters and routes as Envoy v3 admin JSON (golden)', async () => {
    const dump = dumpFor(meshWith(SEED), 'demo-app');
    await expectEnvoyValid(dump);
    expectGolden('seed-http.json', formatEnvoyJson(dump));

    expect(dump.configs!.map((c) => c['@type'].split('.').pop())).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'ScopedRoutesConfigDump',
      'RoutesConfigDump',
      'SecretsConfigDump',
    ]);
    const passthrough = listenerOf(dump, 'inbound:passthrough:ipv4');
    expect(passthrough['address']).toEqual({ socket_address: { address: '0.0.0.0', port_value: 15006 } });
    expect(passthrough['use_original_dst']).toBe(true);
    expect(passthrough['traffic_direction']).toBe('INBOUND');
    expect(passthrough['listener_filters']).toEqual([
      { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } },
    ]);
    expect(passthrough).not.toHaveProperty('transparent');
    expect(listenerOf(dump, 'outbound:passthrough:ipv6')['address']).toEqual({ socket_address: { address: '::', port_value: 15001 } });

    const inbound = listenerOf(dump, 'inbound:198.18.0.6:5000');
    expect(inbound['bind_to_port']).toBe(false);
    const hcm = networkFilter(inbound, 'envoy.filters.network.http_connection_manager');
    expect(hcm['stat_prefix']).toBe('localhost_5000');
    expect(httpFilterNames(inbound)).toEqual(['envoy.filters.http.router']);
    expect(networkFilter(listenerOf(dump, 'outbound:198.18.0.20:6379'), 'envoy.filters.network.tcp_proxy')).toMatchObject({ stat_prefix: 'redis', cluster: 'redis' });

    expect(clusterOf(dump, 'inbound:passthrough:ipv4')).toMatchObject({
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    });
    expect(clusterOf(dump, 'localhost:5000')).toMatchObject({ type: 'STATIC', alt_stat_name: 'localhost_5000' });
    expect(clusterOf(dump, 'redis')['load_assignment']).toEqual({
      cluster_name: 'redis',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '198.18.0.20', port_value: 6379 } } } }] }],
    });
    // Inline route configurations appear as static ones in RoutesConfigDump, as in Envoy.
    const routes = configOf(dump, 'RoutesConfigDump')['static_route_configs'] as Array<Record<string, Record<string, unknown>>>;
    expect(routes.map((r) => r['route_config']!['name'])).toEqual(['inbound:198.18.0.6:5000']);
  });

  it('carries the MeshFaultInjection in an envoy.filters.http.fault filter before the router (golden)', async () => {
    const pc = meshWith(SEED + FAULT);
    const dump = dumpFor(pc, 'demo-app');
    await expectEnvoyValid(dump);
    expectGolden('seed-http-fault.json', formatEnvoyJson(dump));
    const inbound = listenerOf(dump, 'inbound:198.18.0.6:5000');
    expect(httpFilterNames(inbound)).toEqual(['envoy.filters.http.fault', 'envoy.filters.http.router']);
    const hcm = networkFilter(inbound, 'envoy.filters.network.http_connection_manager');
    const fault = (hcm['http_filters'] as Array<Record<string, unknown>>)[0]!['typed_config'];
    expect(fault).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: { fixed_delay: '5s', percentage: { numerator: 50, denominator: 'TEN_THOUSAND' } },
      // 10 % is exact in hundredths: HUNDRED, the default denominator, is left out.
      abort: { http_status: 503, percentage: { numerator: 10 } },
    });
    // redis is not selected by the policy: its dump has no fault.
    expect(JSON.stringify(dumpFor(pc, 'redis'))).not.toContain('envoy.filters.http.fault');
  });

  it('TPROXY inbound: transparent listeners, original_src, no 127.0.0.6 bind (golden)', async () => {
    const yaml = SEED.replace('redirectPortOutbound: 15001', 'redirectPortOutbound: 15001\n    inboundMode: tproxy');
    const dump = dumpFor(meshWith(yaml), 'demo-app', { tproxyMark: 0x539 });
    await expectEnvoyValid(dump);
    expectGolden('tproxy.json', formatEnvoyJson(dump));
    for (const name of ['inbound:passthrough:ipv4', 'inbound:passthrough:ipv6']) {
      const l = listenerOf(dump, name);
      expect(l['transparent']).toBe(true);
      expect((l['listener_filters'] as Array<{ name: string }>).map((f) => f.name)).toEqual(['envoy.filters.listener.original_dst', 'envoy.filters.listener.original_src']);
      expect(clusterOf(dump, name)).not.toHaveProperty('upstream_bind_config');
    }
    expect(listenerOf(dump, 'outbound:passthrough:ipv4')).not.toHaveProperty('transparent');
  });

  it('IPv6: listeners and endpoints on IPv6 addresses only (golden)', async () => {
    const yaml = `
type: Dataplane
mesh: default
name: web6
networking:
  address: "2001:2::6"
  inbound:
    - port: 8080
      serviceAddress: "::1"
      tags:
        kuma.io/service: web6
        kuma.io/protocol: http
  outbound:
    - port: 5432
      address: "2001:2::20"
      tags:
        kuma.io/service: db6
  transparentProxying:
    redirectPortInbound: 15006
    redirectPortOutbound: 15001
    ipFamilyMode: IPv6
---
type: Dataplane
mesh: default
name: db6
networking:
  address: "2001:2::20"
  inbound:
    - port: 5432
      tags:
        kuma.io/service: db6
`;
    const dump = dumpFor(meshWith(yaml), 'web6');
    await expectEnvoyValid(dump);
    expectGolden('ipv6.json', formatEnvoyJson(dump));
    const names = (configOf(dump, 'ListenersConfigDump')['dynamic_listeners'] as Array<{ name: string }>).map((l) => l.name);
    expect(names).toEqual(['inbound:passthrough:ipv6', 'outbound:passthrough:ipv6', 'inbound:2001:2::6:8080', 'outbound:2001:2::20:5432', 'kuma:dns']);
    // The DNS proxy listens where ip6tables' REDIRECT sends IPv6 queries, and nowhere else.
    expect(listenerOf(dump, 'kuma:dns')['address']).toEqual({ socket_address: { protocol: 'UDP', address: '::1', port_value: 15053 } });
    expect(listenerOf(dump, 'kuma:dns')['additional_addresses']).toBeUndefined();
    expect(clusterOf(dump, 'inbound:passthrough:ipv6')['upstream_bind_config']).toEqual({ source_address: { address: '::6', port_value: 0 } });
    expect(clusterOf(dump, 'localhost:8080')['upstream_bind_config']).toEqual({ source_address: { address: '::6', port_value: 0 } });
  });

  it('without transparent proxying: bound listeners on the declared ports, no passthrough (golden)', async () => {
    // The seed's "life without transparent proxying": listen on 15000, forward to 127.0.0.1:5000.
    const yaml = SEED_DATAPLANE_YAML.replace('10.119.249.39', '198.18.1.39');
    const dump = dumpFor(meshWith(yaml), 'demo-app');
    await expectEnvoyValid(dump);
    expectGolden('explicit.json', formatEnvoyJson(dump));
    const l = listenerOf(dump, 'inbound:198.18.1.39:15000');
    expect(l).not.toHaveProperty('bind_to_port');
    expect(l).not.toHaveProperty('use_original_dst');
    expect(clusterOf(dump, 'localhost:5000')).not.toHaveProperty('upstream_bind_config');
  });
});

describe('buildConfigDump: policies', () => {
  const MESH = `${resourcesYaml(
    dataplaneYaml({
      mesh: 'default',
      name: 'backend',
      address: '198.18.0.10',
      inbound: [
        { port: 8080, service: 'backend', protocol: 'http' },
        { port: 9000, service: 'backend' },
      ],
      outbound: [{ port: 7070, address: '198.18.0.30', service: 'payments' }],
      transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
    }),
    dataplaneYaml({ mesh: 'default', name: 'frontend', address: '198.18.0.11', inbound: [{ port: 80, service: 'frontend', protocol: 'http' }] }),
    dataplaneYaml({ mesh: 'default', name: 'payments', address: '198.18.0.30', inbound: [{ port: 7070, service: 'payments', protocol: 'http' }] }),
  )}---
type: MeshTrafficPermission
mesh: default
name: only-frontend
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: Mesh
      default:
        action: Deny
    - targetRef:
        kind: MeshService
        name: frontend
      default:
        action: Allow
---
type: MeshRateLimit
mesh: default
name: backend-rate
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: Mesh
      default:
        local:
          http:
            requestRate:
              num: 100
              interval: 1s
            onRateLimit:
              status: 429
              headers:
                set:
                  - name: x-limited
                    value: "true"
          tcp:
            connectionRate:
              num: 20
              interval: 10s
---
type: MeshTimeout
mesh: default
name: timeouts
spec:
  targetRef:
    kind: Mesh
  from:
    - targetRef:
        kind: Mesh
      default:
        connectionTimeout: 10s
        idleTimeout: 2h
        http:
          requestTimeout: 0s
          streamIdleTimeout: 1h
  to:
    - targetRef:
        kind: Mesh
      default:
        connectionTimeout: 5s
        idleTimeout: 1h
        http:
          requestTimeout: 15s
          maxStreamDuration: 30m
---
type: MeshRetry
mesh: default
name: retry-payments
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: payments
      default:
        http:
          numRetries: 3
          perTryTimeout: 2s
          backOff:
            baseInterval: 25ms
            maxInterval: 250ms
          retryOn: [5xx, ConnectFailure, "503", HttpMethodGet, HttpMethodPost]
---
type: MeshCircuitBreaker
mesh: default
name: cb
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        connectionLimits:
          maxConnections: 1024
          maxPendingRequests: 1024
          maxRequests: 1024
          maxRetries: 3
        outlierDetection:
          interval: 5s
          baseEjectionTime: 30s
          detectors:
            totalFailures:
              consecutive: 5
---
type: MeshHealthCheck
mesh: default
name: hc
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        interval: 10s
        timeout: 2s
        unhealthyThreshold: 3
        healthyThreshold: 1
        http:
          path: /health
          expectedStatuses: [200]
---
type: MeshAccessLog
mesh: default
name: log
spec:
  targetRef:
    kind: Mesh
  from:
    - targetRef:
        kind: Mesh
      default:
        backends:
          - file:
              path: /dev/stdout
              format:
                plain: '%KUMA_MESH% %START_TIME% %RESPONSE_CODE%'
`;

  it('renders every policy type as the Envoy config Kuma generates (golden)', async () => {
    const pc = meshWith(MESH);
    const dump = dumpFor(pc, 'backend');
    // The control plane, from the compiled config alone, shows the same dump.
    expect(configDumpOf(pc.compile('default', 'backend'))).toEqual(dump);
    await expectEnvoyValid(dump);
    expectGolden('policies.json', formatEnvoyJson(dump));

    const http = listenerOf(dump, 'inbound:198.18.0.10:8080');
    expect(httpFilterNames(http)).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.local_ratelimit', 'envoy.filters.http.router']);
    // Without mTLS the client is the dataplane owning the source address: frontend's gets a chain of its own that allows it.
    const chains = http['filter_chains'] as Array<Record<string, unknown>>;
    expect(chains.map((c) => [c['name'], c['filter_chain_match']])).toEqual([
      ['inbound:198.18.0.10:8080:clients-1', { source_prefix_ranges: [{ address_prefix: '198.18.0.11', prefix_len: 32 }] }],
      ['inbound:198.18.0.10:8080', undefined],
    ]);
    const rbacOf = (client?: string): unknown =>
      (networkFilter(http, 'envoy.filters.network.http_connection_manager', client)['http_filters'] as Array<Record<string, unknown>>)[0]!['typed_config'];
    expect(rbacOf('198.18.0.11')).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
      rules: { policies: { MeshTrafficPermission: { permissions: [{ any: true }], principals: [{ any: true }] } } },
    });
    // Everyone else: the Mesh-wide Deny (an RBAC ALLOW without policies denies all).
    expect(rbacOf()).toEqual({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', rules: {} });
    expect(chainFor(http, '198.18.0.11')['metadata']).toEqual({
      filter_metadata: {
        'io.meshcap.policies': {
          policies: [
            { type: 'MeshTrafficPermission', name: 'only-frontend' },
            { type: 'MeshRateLimit', name: 'backend-rate' },
            { type: 'MeshTimeout', name: 'timeouts' },
            { type: 'MeshAccessLog', name: 'log' },
          ],
        },
      },
    });
    const hcm = networkFilter(http, 'envoy.filters.network.http_connection_manager');
    expect(hcm['stream_idle_timeout']).toBe('3600s');
    expect(hcm['common_http_protocol_options']).toEqual({ idle_timeout: '7200s' });
    expect((hcm['access_log'] as Array<Record<string, Record<string, Record<string, Record<string, string>>>>>)[0]!['typed_config']!['log_format']).toEqual({
      text_format_source: { inline_string: 'default %START_TIME% %RESPONSE_CODE%\n' },
    });

    const tcp = listenerOf(dump, 'inbound:198.18.0.10:9000');
    expect(((tcp['filter_chains'] as Array<Record<string, Array<{ name: string }>>>)[0]!['filters'] ?? []).map((f) => f.name)).toEqual([
      'envoy.filters.network.rbac',
      'envoy.filters.network.local_ratelimit',
      'envoy.filters.network.tcp_proxy',
    ]);
    expect(networkFilter(tcp, 'envoy.filters.network.tcp_proxy')['idle_timeout']).toBe('7200s');

    const outbound = listenerOf(dump, 'outbound:198.18.0.30:7070');
    const route = (networkFilter(outbound, 'envoy.filters.network.http_connection_manager')['route_config'] as Record<string, Array<Record<string, Array<Record<string, unknown>>>>>)[
      'virtual_hosts'
    ]![0]!['routes']![0]!['route'];
    expect(route).toEqual({
      cluster: 'payments',
      timeout: '15s',
      retry_policy: {
        retry_on: '5xx,connect-failure,retriable-status-codes',
        num_retries: 3,
        per_try_timeout: '2s',
        retriable_status_codes: [503],
        retry_back_off: { base_interval: '0.025s', max_interval: '0.250s' },
        retriable_request_headers: [
          { name: ':method', string_match: { exact: 'GET' } },
          { name: ':method', string_match: { exact: 'POST' } },
        ],
      },
    });
    const payments = clusterOf(dump, 'payments');
    expect(payments['connect_timeout']).toBe('5s');
    expect(payments['circuit_breakers']).toEqual({ thresholds: [{ max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 }] });
    expect(payments['health_checks']).toEqual([
      { timeout: '2s', interval: '10s', unhealthy_threshold: 3, healthy_threshold: 1, http_health_check: { path: '/health', expected_statuses: [{ start: '200', end: '201' }] } },
    ]);
    expect(clusterOf(dump, 'localhost:8080')['connect_timeout']).toBe('10s');
  });

  it('a permission that denies a subset becomes an ALLOW for everyone else, unknown clients included', async () => {
    const yaml = MESH.replace(
      /name: only-frontend[\s\S]*?action: Allow\n/,
      `name: not-frontend
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: Mesh
      default:
        action: Allow
    - targetRef:
        kind: MeshService
        name: frontend
      default:
        action: Deny
`,
    );
    const dump = dumpFor(meshWith(yaml), 'backend');
    await expectEnvoyValid(dump);
    const http = listenerOf(dump, 'inbound:198.18.0.10:8080');
    const rbacOf = (client?: string): unknown =>
      (networkFilter(http, 'envoy.filters.network.http_connection_manager', client)['http_filters'] as Array<Record<string, unknown>>)[0]!['typed_config'];
    // frontend's address gets the Deny chain; unknown clients and the other dataplanes the Allow.
    expect(rbacOf('198.18.0.11')).toMatchObject({ rules: {} });
    expect(rbacOf('198.18.0.11')).not.toHaveProperty('rules.policies');
    expect(rbacOf()).toMatchObject({ rules: { policies: { MeshTrafficPermission: { principals: [{ any: true }] } } } });
    expect(rbacOf('198.18.0.30')).toEqual(rbacOf());
  });

  it('a fault for some clients goes into the filter chain matched on their addresses', async () => {
    const yaml = `${MESH}
---
type: MeshFaultInjection
mesh: default
name: frontend-faults
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: MeshService
        name: frontend
      default:
        http:
          - abort:
              httpStatus: 500
              percentage: 100
`;
    const dump = dumpFor(meshWith(yaml), 'backend');
    await expectEnvoyValid(dump);
    const http = listenerOf(dump, 'inbound:198.18.0.10:8080');
    const filters = networkFilter(http, 'envoy.filters.network.http_connection_manager', '198.18.0.11')['http_filters'] as Array<Record<string, unknown>>;
    expect(filters.map((f) => f['name'])).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.local_ratelimit', 'envoy.filters.http.fault', 'envoy.filters.http.router']);
    expect(filters[2]!['typed_config']).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      abort: { http_status: 500, percentage: { numerator: 100 } },
    });
    expect(httpFilterNames(http)).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.local_ratelimit', 'envoy.filters.http.router']);
  });

  it('routes: rds puts route configurations in RoutesConfigDump.dynamic_route_configs', async () => {
    const dump = dumpFor(meshWith(MESH), 'backend', { routes: 'rds' });
    await expectEnvoyValid(dump);
    const hcm = networkFilter(listenerOf(dump, 'inbound:198.18.0.10:8080'), 'envoy.filters.network.http_connection_manager');
    expect(hcm).not.toHaveProperty('route_config');
    expect(hcm['rds']).toEqual({ config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'inbound:198.18.0.10:8080' });
    const routes = configOf(dump, 'RoutesConfigDump');
    expect(routes).not.toHaveProperty('static_route_configs');
    expect((routes['dynamic_route_configs'] as Array<Record<string, unknown>>).map((r) => [(r['route_config'] as Record<string, unknown>)['name'], r['version_info']])).toEqual([
      ['inbound:198.18.0.10:8080:clients-1', configDumpVersion(dump)],
      ['inbound:198.18.0.10:8080', configDumpVersion(dump)],
      ['outbound:198.18.0.30:7070', configDumpVersion(dump)],
    ]);
  });
});

describe('buildConfigDump: versions', () => {
  it('takes version_info and last_updated from the compiled config', () => {
    const pc = meshWith(SEED);
    const input = inputFor(pc, 'demo-app');
    const dump = buildConfigDump(input);
    expect(configDumpVersion(dump)).toBe(input.policies!.version.versionInfo);
    const first = (configOf(dump, 'ListenersConfigDump')['dynamic_listeners'] as Array<Record<string, Record<string, unknown>>>)[0]!;
    expect(first['active_state']!['last_updated']).toBe(input.policies!.version.updatedAt);
  });

  it('toggling a policy off gives a new version; unchanged resources keep their stamps', async () => {
    const pc = meshWith(SEED + FAULT);
    const before = dumpFor(pc, 'demo-app');
    pc.setToggle('default', 'demo-app', 'MeshFaultInjection', 'demo-app-delay', false);
    const after = dumpFor(pc, 'demo-app', { previous: before });
    await expectEnvoyValid(after);
    expect(configDumpVersion(after)).not.toBe(configDumpVersion(before));
    const stamps = (d: typeof before, name: string): Record<string, unknown> =>
      (configOf(d, 'ListenersConfigDump')['dynamic_listeners'] as Array<Record<string, unknown>>).find((l) => l['name'] === name)!['active_state'] as Record<string, unknown>;
    // The listener that changed has the new version; the others, like Envoy's, keep what they had.
    expect(stamps(after, 'inbound:198.18.0.6:5000')['version_info']).toBe(configDumpVersion(after));
    expect(stamps(after, 'inbound:passthrough:ipv4')['version_info']).toBe(configDumpVersion(before));
    expect(stamps(after, 'inbound:passthrough:ipv4')['last_updated']).toBe(stamps(before, 'inbound:passthrough:ipv4')['last_updated']);
    expect(stamps(after, 'inbound:198.18.0.6:5000')['last_updated']).not.toBe(stamps(before, 'inbound:198.18.0.6:5000')['last_updated']);
  });

  it('with no version anywhere, the version is a hash of the content', () => {
    const pc = meshWith(SEED);
    const input = inputFor(pc, 'demo-app');
    const a = buildConfigDump({ config: { ...input.config, version: '' }, updatedAt: '2026-11-22T10:00:00Z' });
    const b = buildConfigDump({ config: { ...input.config, version: '' }, updatedAt: '2026-11-22T11:00:00Z' });
    expect(configDumpVersion(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(configDumpVersion(a)).toBe(configDumpVersion(b));
  });

  it('refuses an updatedAt that is not a time', () => {
    const input = inputFor(meshWith(SEED), 'demo-app');
    expect(() => buildConfigDump({ ...input, updatedAt: 'yesterday' })).toThrow(/updatedAt "yesterday" is not a valid time/);
  });
});

describe('resourcesOfConfigDump', () => {
  it('gives back the resources a dump was made of (RDS routes and EDS endpoints included)', () => {
    const pc = meshWith(SEED + FAULT);
    for (const name of ['demo-app', 'redis']) {
      const policies = pc.compile('default', name);
      const set = xdsResourcesOf(policies, { routes: 'rds' });
      if (name === 'demo-app') expect(set.routes.length).toBeGreaterThan(0);
      const dump = configDumpOfResources({ resources: set, version: policies.version.versionInfo, node: { id: `default.${name}` } });
      expect(resourcesOfConfigDump(dump)).toEqual(set);
    }
  });
});
