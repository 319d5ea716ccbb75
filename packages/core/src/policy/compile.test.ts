import { describe, expect, it } from 'vitest';
import { parseResources } from '../model/parse.ts';
import { defaultMeshPolicies, type PolicyType } from '../model/policies/index.ts';
import { affectedDataplanes } from './affected.ts';
import { sourceRuleFor } from './runtime.ts';
import { PolicyCompiler } from './state.ts';
import { dataplane, http, policyResources, type DataplaneSketch } from './test-fixtures.ts';
import type { InboundPolicy, OutboundPolicy, PolicyOrigin } from './types.ts';

/**
 * Matching and merging, table-driven. Each case names the Kuma documentation example it is taken from
 * (kumahq/kuma-website app/_src/policies/…); service names are adapted to the dataplanes below.
 */

// web-1 is a client with declared outbounds; backend-1 has two inbounds and transparent proxying.
const meshDataplanes: DataplaneSketch[] = [
  {
    name: 'web-1',
    address: '198.18.0.10',
    inbound: [{ port: 8080, tags: http('web', { team: 'my-team', version: 'v1' }) }],
    outbound: [
      { port: 10001, service: 'backend' },
      { port: 10002, service: 'my-service' },
    ],
  },
  {
    name: 'backend-1',
    address: '198.18.0.20',
    inbound: [
      { port: 9090, name: 'api', tags: http('backend', { version: 'v2' }) },
      { port: 9091, name: 'admin', tags: { 'kuma.io/service': 'backend-admin' } },
    ],
    transparent: true,
  },
  { name: 'my-service-1', address: '198.18.0.30', inbound: [{ port: 7070, tags: http('my-service') }] },
];

type Where = { inbound: number } | { outbound: string };

interface Expectation {
  dataplane: string;
  at: Where;
  type: PolicyType;
  /** The client's identity tags, for an inbound. Default: a client with no tags. */
  client?: Record<string, string[]>;
  /** The effective conf; undefined: nothing applies. */
  conf: unknown;
  /** Every matching entry in merge order, `name:from[i]`, with ` (off)` when toggled off. */
  origins?: string[];
}

interface Case {
  name: string;
  policies: string;
  toggles?: Array<[dataplane: string, type: PolicyType, name: string]>;
  dataplanes?: DataplaneSketch[];
  expect: Expectation[];
}

const cases: Case[] = [
  {
    name: 'targetref.md "Applying a global default" with meshtimeout.md "Simple outbound HTTP configuration"',
    policies: `type: MeshTimeout
name: timeout-global
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        idleTimeout: 20s
        connectionTimeout: 2s
        http:
          requestTimeout: 2s
`,
    expect: [
      { dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { idleTimeout: '20s', connectionTimeout: '2s', http: { requestTimeout: '2s' } }, origins: ['timeout-global:to[0]'] },
      { dataplane: 'web-1', at: { outbound: 'my-service' }, type: 'MeshTimeout', conf: { idleTimeout: '20s', connectionTimeout: '2s', http: { requestTimeout: '2s' } } },
      // Transparent: backend-1 reaches every service of the mesh, itself included.
      { dataplane: 'backend-1', at: { outbound: 'web' }, type: 'MeshTimeout', conf: { idleTimeout: '20s', connectionTimeout: '2s', http: { requestTimeout: '2s' } } },
      { dataplane: 'web-1', at: { inbound: 8080 }, type: 'MeshTimeout', conf: undefined },
    ],
  },
  {
    name: 'targetref.md "Recommending to users": a `to` entry for one service',
    policies: `type: MeshRetry
name: example
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: my-service
      default:
        http: {numRetries: 3}
`,
    expect: [
      { dataplane: 'web-1', at: { outbound: 'my-service' }, type: 'MeshRetry', conf: { http: { numRetries: 3 } }, origins: ['example:to[0]'] },
      { dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshRetry', conf: undefined },
    ],
  },
  {
    name: 'targetref.md "Configuring all proxies of a team": MeshSubset top level, `from` Mesh',
    policies: `type: MeshTimeout
name: example
mesh: default
spec:
  targetRef:
    kind: MeshSubset
    tags:
      team: "my-team"
  from:
    - targetRef:
        kind: Mesh
      default:
        idleTimeout: 30s
`,
    expect: [
      { dataplane: 'web-1', at: { inbound: 8080 }, type: 'MeshTimeout', conf: { idleTimeout: '30s' }, origins: ['example:from[0]'] },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshTimeout', conf: undefined },
      // `from` only: nothing on outbounds.
      { dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: undefined },
    ],
  },
  {
    name: 'targetref.md MeshAccessLog example: top-level MeshService, `to` one service, `from` Mesh',
    policies: `type: MeshAccessLog
name: example
mesh: default
spec:
  targetRef:
    kind: MeshService
    name: web
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        backends:
          - file:
              format:
                plain: '{"start_time": "%START_TIME%"}'
              path: "/tmp/logs.txt"
  from:
    - targetRef:
        kind: Mesh
      default:
        backends:
          - file:
              format:
                plain: '{"start_time": "%START_TIME%"}'
              path: "/tmp/logs.txt"
`,
    expect: [
      {
        dataplane: 'web-1',
        at: { outbound: 'backend' },
        type: 'MeshAccessLog',
        conf: { backends: [{ type: 'File', file: { path: '/tmp/logs.txt', format: { type: 'Plain', plain: '{"start_time": "%START_TIME%"}' } } }] },
      },
      { dataplane: 'web-1', at: { outbound: 'my-service' }, type: 'MeshAccessLog', conf: undefined },
      {
        dataplane: 'web-1',
        at: { inbound: 8080 },
        type: 'MeshAccessLog',
        client: { 'kuma.io/service': ['anything'] },
        conf: { backends: [{ type: 'File', file: { path: '/tmp/logs.txt', format: { type: 'Plain', plain: '{"start_time": "%START_TIME%"}' } } }] },
      },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshAccessLog', conf: undefined },
      { dataplane: 'backend-1', at: { outbound: 'backend' }, type: 'MeshAccessLog', conf: undefined },
    ],
  },
  {
    name: 'targetref.md "Merging configuration" total order: Mesh < MeshSubset < MeshService < MeshServiceSubset, whatever the names',
    policies: `type: MeshTimeout
name: a-service-subset
spec:
  targetRef: {kind: MeshServiceSubset, name: backend, tags: {version: v2}}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 4s}}]
---
type: MeshTimeout
name: b-service
spec:
  targetRef: {kind: MeshService, name: backend}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 3s, connectionTimeout: 3s}}]
---
type: MeshTimeout
name: c-subset
spec:
  targetRef: {kind: MeshSubset, tags: {version: v2}}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 2s, http: {requestTimeout: 2s}}}]
---
type: MeshTimeout
name: d-mesh
spec:
  targetRef: {kind: Mesh}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s, connectionTimeout: 1s, http: {requestTimeout: 1s, streamIdleTimeout: 1s}}}]
`,
    expect: [
      {
        dataplane: 'backend-1',
        at: { inbound: 9090 },
        type: 'MeshTimeout',
        conf: { idleTimeout: '4s', connectionTimeout: '3s', http: { requestTimeout: '2s', streamIdleTimeout: '1s' } },
        origins: ['d-mesh:from[0]', 'c-subset:from[0]', 'b-service:from[0]', 'a-service-subset:from[0]'],
      },
      // The admin inbound (another service, no version tag) gets the mesh-wide one only.
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshTimeout', conf: { idleTimeout: '1s', connectionTimeout: '1s', http: { requestTimeout: '1s', streamIdleTimeout: '1s' } }, origins: ['d-mesh:from[0]'] },
    ],
  },
  {
    name: 'targetref.md "Merging configuration": equal levels merge in lexicographic name order, so the later name wins',
    policies: `type: MeshTimeout
name: beta
spec:
  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 2s}}]
---
type: MeshTimeout
name: alpha
spec:
  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s, connectionTimeout: 1s}}]
`,
    expect: [{ dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { idleTimeout: '2s', connectionTimeout: '1s' }, origins: ['alpha:to[0]', 'beta:to[0]'] }],
  },
  {
    name: 'Kuma outbound sort (CompareByToEntry): at one top-level kind, a MeshService entry comes after a Mesh entry',
    policies: `type: MeshTimeout
name: a-specific
spec:
  targetRef: {kind: Mesh}
  to: [{targetRef: {kind: MeshService, name: backend}, default: {idleTimeout: 1s}}]
---
type: MeshTimeout
name: z-global
spec:
  targetRef: {kind: Mesh}
  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 9s, connectionTimeout: 9s}}]
`,
    expect: [
      { dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { idleTimeout: '1s', connectionTimeout: '9s' }, origins: ['z-global:to[0]', 'a-specific:to[0]'] },
      { dataplane: 'web-1', at: { outbound: 'my-service' }, type: 'MeshTimeout', conf: { idleTimeout: '9s', connectionTimeout: '9s' }, origins: ['z-global:to[0]'] },
    ],
  },
  {
    name: 'no match: a policy for a service no dataplane has',
    policies: `type: MeshFaultInjection
name: nobody
spec:
  targetRef: {kind: MeshService, name: payments}
  from: [{targetRef: {kind: Mesh}, default: {http: [{abort: {httpStatus: 500, percentage: 100}}]}}]
`,
    expect: [
      { dataplane: 'web-1', at: { inbound: 8080 }, type: 'MeshFaultInjection', conf: undefined },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshFaultInjection', conf: undefined },
    ],
  },
  {
    name: 'several policies at one level, each adding a field',
    policies: `type: MeshTimeout
name: a
spec:
  to: [{targetRef: {kind: Mesh}, default: {connectionTimeout: 1s}}]
---
type: MeshTimeout
name: b
spec:
  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 2s}}]
---
type: MeshTimeout
name: c
spec:
  to: [{targetRef: {kind: Mesh}, default: {http: {requestTimeout: 3s}}}]
`,
    expect: [{ dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { connectionTimeout: '1s', idleTimeout: '2s', http: { requestTimeout: '3s' } }, origins: ['a:to[0]', 'b:to[0]', 'c:to[0]'] }],
  },
  {
    name: 'toggled off for one dataplane: listed, not merged; the other dataplane keeps it',
    policies: `type: MeshTimeout
name: a
spec:
  to: [{targetRef: {kind: Mesh}, default: {connectionTimeout: 1s}}]
---
type: MeshTimeout
name: b
spec:
  to: [{targetRef: {kind: Mesh}, default: {connectionTimeout: 2s, idleTimeout: 2s}}]
`,
    toggles: [['web-1', 'MeshTimeout', 'b']],
    expect: [
      { dataplane: 'web-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { connectionTimeout: '1s' }, origins: ['a:to[0]', 'b:to[0] (off)'] },
      { dataplane: 'backend-1', at: { outbound: 'backend' }, type: 'MeshTimeout', conf: { connectionTimeout: '2s', idleTimeout: '2s' }, origins: ['a:to[0]', 'b:to[0]'] },
    ],
  },
  {
    name: 'a dataplane with several inbounds: each inbound gets what selects it',
    policies: `type: MeshFaultInjection
name: backend-only
spec:
  targetRef: {kind: MeshService, name: backend}
  from: [{targetRef: {kind: Mesh}, default: {http: [{delay: {value: 200ms, percentage: 100}}]}}]
---
type: MeshTimeout
name: everywhere
spec:
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 5s}}]
---
type: MeshRateLimit
name: v2-only
spec:
  targetRef: {kind: MeshSubset, tags: {version: v2}}
  from: [{targetRef: {kind: Mesh}, default: {local: {http: {requestRate: {num: 5, interval: 10s}}}}}]
`,
    expect: [
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshFaultInjection', conf: { http: [{ delay: { value: '200ms', percentage: 100 } }] } },
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshFaultInjection', conf: undefined },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshTimeout', conf: { idleTimeout: '5s' } },
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshTimeout', conf: { idleTimeout: '5s' } },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshRateLimit', conf: { local: { http: { requestRate: { num: 5, interval: '10s' } } } } },
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshRateLimit', conf: undefined },
    ],
  },
  {
    name: 'meshfaultinjection.md "Service backend returns 500 for 50% of requests from frontend service": depends on the client',
    policies: `type: MeshFaultInjection
mesh: default
name: default-fault-injection
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: MeshSubset
        tags:
          kuma.io/service: web
      default:
        http:
          - abort:
              httpStatus: 500
              percentage: 50
`,
    expect: [
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshFaultInjection', client: { 'kuma.io/service': ['web'] }, conf: { http: [{ abort: { httpStatus: 500, percentage: 50 } }] } },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshFaultInjection', client: { 'kuma.io/service': ['my-service'] }, conf: undefined },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshFaultInjection', client: {}, conf: undefined },
    ],
  },
  {
    name: 'meshtrafficpermission.md "Deny all" (2.9+): no top-level targetRef selects every dataplane',
    policies: `type: MeshTrafficPermission
name: deny-all
mesh: default
spec:
  from:
    - targetRef:
        kind: Mesh
      default:
        action: Deny
`,
    expect: [
      { dataplane: 'web-1', at: { inbound: 8080 }, type: 'MeshTrafficPermission', client: { 'kuma.io/service': ['backend'] }, conf: { action: 'Deny' } },
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshTrafficPermission', conf: { action: 'Deny' } },
    ],
  },
  {
    name: 'Mesh docs default policies: the Gateway-only MeshTimeout selects no sidecar, the Sidecar one does',
    policies: `type: MeshTimeout
mesh: default
name: mesh-gateways-timeout-all-default
spec:
  targetRef:
    kind: Mesh
    proxyTypes: [Gateway]
  to:
    - targetRef:
        kind: Mesh
      default:
        idleTimeout: 1h
        http:
          streamIdleTimeout: 5s
---
${defaultMeshPolicies('default')
  .filter((p) => p.type === 'MeshTimeout')
  .map((p) => JSON.stringify(p))
  .join('\n---\n')}
`,
    expect: [
      {
        dataplane: 'web-1',
        at: { outbound: 'backend' },
        type: 'MeshTimeout',
        conf: { connectionTimeout: '5s', idleTimeout: '1h', http: { requestTimeout: '15s', streamIdleTimeout: '30m' } },
        origins: ['mesh-timeout-all-default:to[0]'],
      },
      {
        dataplane: 'web-1',
        at: { inbound: 8080 },
        type: 'MeshTimeout',
        conf: { connectionTimeout: '10s', idleTimeout: '2h', http: { requestTimeout: '0s', streamIdleTimeout: '1h', maxStreamDuration: '0s' } },
      },
    ],
  },
  {
    name: 'meshtimeout.md "Configuration for a single inbound port named http": sectionName selects one inbound',
    policies: `type: MeshTimeout
name: admin-only
spec:
  targetRef: {kind: Mesh, sectionName: admin}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1h}}]
`,
    expect: [
      { dataplane: 'backend-1', at: { inbound: 9091 }, type: 'MeshTimeout', conf: { idleTimeout: '1h' } },
      { dataplane: 'backend-1', at: { inbound: 9090 }, type: 'MeshTimeout', conf: undefined },
      { dataplane: 'web-1', at: { inbound: 8080 }, type: 'MeshTimeout', conf: undefined },
    ],
  },
];

function originLabel(o: PolicyOrigin): string {
  return `${o.name}:${o.section}[${o.entry}]${o.enabled ? '' : ' (off)'}`;
}

describe('matching and merging (Kuma documented examples)', () => {
  it.each(cases)('$name', ({ policies, toggles, dataplanes, expect: expectations }) => {
    const compiler = new PolicyCompiler();
    compiler.applyAll([...(dataplanes ?? meshDataplanes).map(dataplane), ...parseResources(policies)]);
    for (const [dp, type, name] of toggles ?? []) compiler.setToggle('default', dp, type, name, false);
    for (const e of expectations) {
      const config = compiler.compile('default', e.dataplane);
      const label = `${e.dataplane} ${JSON.stringify(e.at)} ${e.type}`;
      if ('inbound' in e.at) {
        const port = e.at.inbound;
        const ib = config.inbounds.find((i) => i.port === port);
        expect(ib, label).toBeDefined();
        const policy = (ib!.policies as Record<string, InboundPolicy<unknown> | undefined>)[e.type];
        expect(policy ? sourceRuleFor(policy, e.client ?? {})?.conf : undefined, label).toEqual(e.conf);
        if (e.origins) expect(policy?.origins.map(originLabel), label).toEqual(e.origins);
      } else {
        const service = e.at.outbound;
        const ob = config.outbounds.find((o) => o.service === service);
        expect(ob, label).toBeDefined();
        const policy = (ob!.policies as Record<string, OutboundPolicy<unknown> | undefined>)[e.type];
        expect(policy?.conf, label).toEqual(e.conf);
        if (e.origins) expect(policy?.origins.map(originLabel), label).toEqual(e.origins);
      }
    }
  });
});

function meshWith(policies: string, sketches: DataplaneSketch[] = meshDataplanes, mesh = 'type: Mesh\nname: default\n'): PolicyCompiler {
  const compiler = new PolicyCompiler();
  compiler.applyAll([...parseResources(mesh), ...sketches.map(dataplane), ...parseResources(policies)]);
  return compiler;
}

describe('outbounds', () => {
  it('lists declared outbounds with their listeners, and with transparent proxying every service of the mesh', () => {
    const compiler = meshWith('type: MeshRetry\nname: r\nspec:\n  to: [{targetRef: {kind: Mesh}, default: {tcp: {maxConnectAttempt: 2}}}]\n');
    const web = compiler.compile('default', 'web-1');
    expect(web.outbounds.map((o) => [o.service, o.listener, o.protocol])).toEqual([
      ['backend', 'outbound:127.0.0.1:10001', 'http'],
      ['my-service', 'outbound:127.0.0.1:10002', 'http'],
    ]);
    const backend = compiler.compile('default', 'backend-1');
    expect(backend.outbounds.map((o) => [o.service, o.listener, o.protocol])).toEqual([
      ['backend', undefined, 'http'],
      ['backend-admin', undefined, 'tcp'],
      ['my-service', undefined, 'http'],
      ['web', undefined, 'http'],
    ]);
    expect(backend.outbounds.find((o) => o.service === 'web')?.endpoints).toEqual([
      { dataplane: 'web-1', address: '198.18.0.10', port: 8080, tags: http('web', { team: 'my-team', version: 'v1' }) },
    ]);
  });

  it('limits transparent outbounds to reachableServices', () => {
    const sketches = [...meshDataplanes.filter((d) => d.name !== 'backend-1'), { ...meshDataplanes[1]!, reachableServices: ['web'] }];
    const compiler = meshWith('type: MeshRetry\nname: r\nspec:\n  to: [{targetRef: {kind: Mesh}, default: {tcp: {maxConnectAttempt: 2}}}]\n', sketches);
    expect(compiler.compile('default', 'backend-1').outbounds.map((o) => o.service)).toEqual(['web']);
  });
});

describe('matched policies, warnings and identities', () => {
  const policies = `type: MeshTrafficPermission
name: allow-web
spec:
  targetRef: {kind: MeshService, name: backend}
  from:
    - targetRef: {kind: Mesh}
      default: {action: Deny}
    - targetRef: {kind: MeshService, name: web}
      default: {action: Allow}
---
type: MeshFaultInjection
name: tcp-faults
spec:
  targetRef: {kind: MeshService, name: backend-admin}
  from: [{targetRef: {kind: Mesh}, default: {http: [{abort: {httpStatus: 503, percentage: 100}}]}}]
---
type: MeshRetry
name: web-retries
spec:
  targetRef: {kind: MeshService, name: web}
  to: [{targetRef: {kind: MeshService, name: backend}, default: {http: {numRetries: 2}}}]
`;

  it("lists each policy that affects the dataplane, where, and whether it is on (Kuma's Inspect API view)", () => {
    const compiler = meshWith(policies);
    compiler.setToggle('default', 'backend-1', 'MeshFaultInjection', 'tcp-faults', false);
    expect(compiler.compile('default', 'backend-1').matchedPolicies).toEqual([
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-web', targetRef: { kind: 'MeshService', name: 'backend' }, enabled: true, inbounds: ['inbound:198.18.0.20:9090'], outbounds: [] },
      { type: 'MeshFaultInjection', mesh: 'default', name: 'tcp-faults', targetRef: { kind: 'MeshService', name: 'backend-admin' }, enabled: false, inbounds: ['inbound:198.18.0.20:9091'], outbounds: [] },
    ]);
    expect(compiler.compile('default', 'web-1').matchedPolicies.map((m) => [m.name, m.outbounds])).toEqual([['web-retries', ['backend']]]);
  });

  it('carries the address → dataplane identity map only where a rule depends on the client, with the tag keys it uses', () => {
    const compiler = meshWith(policies);
    const backend = compiler.compile('default', 'backend-1');
    expect(backend.identities).toEqual([
      { address: '198.18.0.10', dataplanes: ['web-1'], tags: { 'kuma.io/service': ['web'] } },
      { address: '198.18.0.20', dataplanes: ['backend-1'], tags: { 'kuma.io/service': ['backend', 'backend-admin'] } },
      { address: '198.18.0.30', dataplanes: ['my-service-1'], tags: { 'kuma.io/service': ['my-service'] } },
    ]);
    expect(backend.inbounds[0]!.policies.MeshTrafficPermission?.sourceDependent).toBe(true);
    expect(compiler.compile('default', 'web-1').identities).toEqual([]);
  });

  it('warns that a permission by tags cannot be proven without STRICT mTLS, and HTTP faults on a TCP inbound', () => {
    const withMode = (mode: string): PolicyCompiler =>
      meshWith(policies, meshDataplanes, `type: Mesh\nname: default\nmtls:\n  enabledBackend: ca-1\n  backends: [{name: ca-1, type: builtin, mode: ${mode}}]\n`);
    const permissive = withMode('PERMISSIVE').compile('default', 'backend-1').warnings;
    expect(permissive.map((w) => [w.code, w.policy?.name, w.inbound])).toEqual([
      ['identity-unverifiable', 'allow-web', 'inbound:198.18.0.20:9090'],
      ['http-conf-on-tcp', 'tcp-faults', 'inbound:198.18.0.20:9091'],
    ]);
    expect(permissive[0]!.message).toMatch(/PERMISSIVE: a plaintext client is identified by its source address/);
    // STRICT: every client is its verified certificate.
    const strict = withMode('STRICT').compile('default', 'backend-1');
    expect(strict.warnings.map((w) => w.code)).toEqual(['http-conf-on-tcp']);
    expect(strict.mtls).toMatchObject({ backend: 'ca-1', mode: 'STRICT' });
    expect(meshWith(policies, meshDataplanes).compile('default', 'backend-1').warnings[0]!.message).toMatch(/the mesh has no mTLS/);
  });

  it('warns when dataplanes share an address, since a client from it cannot be told apart', () => {
    const twin: DataplaneSketch = { name: 'web-2', address: '198.18.0.10', inbound: [{ port: 8081, tags: http('web-canary') }] };
    const compiler = meshWith(policies, [...meshDataplanes, twin]);
    const backend = compiler.compile('default', 'backend-1');
    expect(backend.identities[0]).toEqual({ address: '198.18.0.10', dataplanes: ['web-1', 'web-2'], tags: { 'kuma.io/service': ['web', 'web-canary'] } });
    expect(backend.warnings.filter((w) => w.code === 'identity-ambiguous')).toHaveLength(1);
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    const config = meshWith(policies).compile('default', 'backend-1');
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});

describe('affectedDataplanes', () => {
  it('names the dataplanes a policy reaches and where, with toggles', () => {
    const compiler = meshWith(`type: MeshTimeout
name: backend-both-ways
spec:
  targetRef: {kind: MeshService, name: backend}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s}}]
  to:
    - targetRef: {kind: MeshService, name: web}
      default: {idleTimeout: 2s}
    - targetRef: {kind: Mesh}
      default: {connectionTimeout: 2s}
`);
    compiler.setToggle('default', 'backend-1', 'MeshTimeout', 'backend-both-ways', false);
    expect(compiler.affectedDataplanes('default', 'MeshTimeout', 'backend-both-ways')).toEqual([
      {
        mesh: 'default',
        dataplane: 'backend-1',
        enabled: false,
        inbounds: [{ listener: 'inbound:198.18.0.20:9090', entries: [0] }],
        outbounds: [
          { service: 'backend', entries: [1] },
          { service: 'backend-admin', entries: [1] },
          { service: 'my-service', entries: [1] },
          { service: 'web', entries: [0, 1] },
        ],
      },
    ]);
  });

  it('works on plain resources, and finds nothing for a policy that matches nothing', () => {
    const [policy] = policyResources('type: MeshRetry\nname: r\nspec:\n  to: [{targetRef: {kind: MeshService, name: my-service}, default: {tcp: {maxConnectAttempt: 1}}}]\n');
    const dps = meshDataplanes.map(dataplane);
    expect(affectedDataplanes(policy!, dps).map((a) => [a.dataplane, a.outbounds])).toEqual([
      ['backend-1', [{ service: 'my-service', entries: [0] }]],
      ['web-1', [{ service: 'my-service', listener: 'outbound:127.0.0.1:10002', entries: [0] }]],
    ]);
    const [none] = policyResources('type: MeshRetry\nname: n\nspec:\n  to: [{targetRef: {kind: MeshService, name: payments}, default: {tcp: {maxConnectAttempt: 1}}}]\n');
    expect(affectedDataplanes(none!, dps)).toEqual([]);
  });
});
