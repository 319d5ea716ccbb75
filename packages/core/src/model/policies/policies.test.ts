import { describe, expect, it } from 'vitest';
import { parseResourceObject, parseResources } from '../parse.ts';
import {
  defaultMeshPolicies,
  durationToMs,
  POLICY_TYPES,
  type MeshAccessLog,
  type MeshFaultInjection,
  type MeshRetry,
  type MeshTrafficPermission,
} from './index.ts';

/** A MeshcapError with this code and an issue at `path` and `line` whose message matches. */
function issueAt(code: string, issue: { path: string; line: number; message: RegExp; source?: string }) {
  return expect.objectContaining({ code, issues: expect.arrayContaining([expect.objectContaining({ ...issue, message: expect.stringMatching(issue.message) })]) });
}

describe('policy kinds', () => {
  it('registers every policy type as a mesh-scoped policy kind', () => {
    expect(POLICY_TYPES).toEqual(['MeshTrafficPermission', 'MeshFaultInjection', 'MeshTimeout', 'MeshRetry', 'MeshRateLimit', 'MeshAccessLog', 'MeshCircuitBreaker', 'MeshHealthCheck', 'MeshHTTPRoute', 'MeshTCPRoute', 'MeshLoadBalancingStrategy']);
  });

  it('normalises what Kuma accepts in several spellings', () => {
    const [mfi, mtp, retry, log] = parseResources(`type: MeshFaultInjection
name: f
spec:
  from:
    - targetRef: {kind: Mesh}
      default: {http: [{abort: {httpStatus: 503, percentage: "2.5"}}, {delay: {value: 100ms, percentage: 10}}]}
---
type: MeshTrafficPermission
name: p
spec:
  from: [{targetRef: {kind: Mesh}, default: {action: ALLOW_WITH_SHADOW_DENY}}]
---
type: MeshRetry
name: r
spec:
  to: [{targetRef: {kind: Mesh}, default: {http: {retryOn: [5XX, "503", 504, GatewayError]}}}]
---
type: MeshAccessLog
name: l
spec:
  from: [{targetRef: {kind: Mesh}, default: {backends: [{tcp: {address: "198.18.0.1:5000", format: {plain: "%START_TIME%"}}}]}}]
`) as unknown as [MeshFaultInjection, MeshTrafficPermission, MeshRetry, MeshAccessLog];
    expect(mfi.spec.from?.[0]?.default.http).toEqual([{ abort: { httpStatus: 503, percentage: 2.5 } }, { delay: { value: '100ms', percentage: 10 } }]);
    expect(mtp.spec.from?.[0]?.default).toEqual({ action: 'AllowWithShadowDeny' });
    expect(retry.spec.to?.[0]?.default.http?.retryOn).toEqual(['5xx', '503', '504', 'GatewayError']);
    expect(log.spec.from?.[0]?.default.backends).toEqual([{ type: 'Tcp', tcp: { address: '198.18.0.1:5000', format: { type: 'Plain', plain: '%START_TIME%' } } }]);
  });

  it("validates Kuma's default mesh policies", () => {
    for (const p of defaultMeshPolicies('default')) expect(parseResourceObject(p)).toEqual(p);
  });
});

// Each bad manifest is a valid one with one mistake; the error must name the field and its line.
const badManifests: Array<{ name: string; text: string; code?: string; path: string; line: number; message: RegExp }> = [
  {
    name: 'unknown kind',
    text: 'type: MeshFaultInjektion\nname: f\nspec: {}\n',
    code: 'MESHCAP_ERR_UNKNOWN_KIND',
    path: 'type',
    line: 1,
    message: /unknown resource type "MeshFaultInjektion"/,
  },
  {
    name: 'top-level targetRef kind meshcap does not match (MeshGateway)',
    text: 'type: MeshTimeout\nname: t\nspec:\n  targetRef:\n    kind: MeshGateway\n    name: edge\n  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s}}]\n',
    path: 'spec.targetRef.kind',
    line: 5,
    message: /MeshGateway.*Mesh, MeshSubset, MeshService, MeshServiceSubset/,
  },
  {
    name: 'to[] targetRef kind the policy does not allow there',
    text: 'type: MeshTimeout\nname: t\nspec:\n  to:\n    - targetRef:\n        kind: MeshSubset\n        tags: {version: v1}\n      default: {idleTimeout: 1s}\n',
    path: 'spec.to[0].targetRef.kind',
    line: 6,
    message: /use one of Mesh, MeshService/,
  },
  {
    name: 'MeshService without a name',
    text: 'type: MeshTimeout\nname: t\nspec:\n  targetRef:\n    kind: MeshService\n  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s}}]\n',
    path: 'spec.targetRef.name',
    line: 5,
    message: /required for kind MeshService/,
  },
  {
    name: 'negative percentage',
    text: 'type: MeshFaultInjection\nname: f\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default:\n        http:\n          - abort:\n              httpStatus: 500\n              percentage: -5\n',
    path: 'spec.from[0].default.http[0].abort.percentage',
    line: 10,
    message: /between 0 and 100/,
  },
  {
    name: 'percentage over 100, quoted',
    text: 'type: MeshFaultInjection\nname: f\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default:\n        http:\n          - delay: {value: 1s, percentage: "100.5"}\n',
    path: 'spec.from[0].default.http[0].delay.percentage',
    line: 8,
    message: /between 0 and 100/,
  },
  {
    name: 'bad duration',
    text: 'type: MeshFaultInjection\nname: f\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default:\n        http:\n          - delay:\n              value: 5 seconds\n              percentage: 5\n',
    path: 'spec.from[0].default.http[0].delay.value',
    line: 9,
    message: /must be a duration/,
  },
  {
    name: 'negative duration',
    text: 'type: MeshTimeout\nname: t\nspec:\n  to:\n    - targetRef: {kind: Mesh}\n      default:\n        idleTimeout: -1s\n',
    path: 'spec.to[0].default.idleTimeout',
    line: 7,
    message: /not negative/,
  },
  {
    name: 'zero connection timeout',
    text: 'type: MeshTimeout\nname: t\nspec:\n  to:\n    - targetRef: {kind: Mesh}\n      default:\n        connectionTimeout: 0s\n',
    path: 'spec.to[0].default.connectionTimeout',
    line: 7,
    message: /at least/,
  },
  {
    name: 'a section the policy does not have',
    text: 'type: MeshRetry\nname: r\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default: {tcp: {maxConnectAttempt: 1}}\n',
    path: 'spec.from',
    line: 5,
    message: /MeshRetry has no "from" section/,
  },
  {
    name: 'no entries at all',
    text: 'type: MeshTrafficPermission\nname: p\nspec:\n  targetRef: {kind: Mesh}\n',
    path: 'spec',
    line: 4,
    message: /needs at least one entry in "from"/,
  },
  {
    name: 'misspelt field in default',
    text: 'type: MeshTimeout\nname: t\nspec:\n  to:\n    - targetRef: {kind: Mesh}\n      default:\n        idleTimout: 1s\n',
    path: 'spec.to[0].default',
    line: 7,
    message: /idleTimout/,
  },
  {
    name: 'HTTP status out of range',
    text: 'type: MeshFaultInjection\nname: f\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default: {http: [{abort: {httpStatus: 700, percentage: 1}}]}\n',
    path: 'spec.from[0].default.http[0].abort.httpStatus',
    line: 6,
    message: /100\.\.599/,
  },
  {
    name: 'rate-limit interval under 50ms',
    text: 'type: MeshRateLimit\nname: l\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default: {local: {tcp: {connectionRate: {num: 5, interval: 10ms}}}}\n',
    path: 'spec.from[0].default.local.tcp.connectionRate.interval',
    line: 6,
    message: /at least 50ms/,
  },
  {
    name: 'unknown permission action',
    text: 'type: MeshTrafficPermission\nname: p\nspec:\n  from:\n    - targetRef: {kind: Mesh}\n      default:\n        action: Permit\n',
    path: 'spec.from[0].default.action',
    line: 7,
    message: /Allow, Deny or AllowWithShadowDeny/,
  },
  {
    name: 'access-log backend with two destinations',
    text: 'type: MeshAccessLog\nname: l\nspec:\n  to:\n    - targetRef: {kind: Mesh}\n      default:\n        backends:\n          - file: {path: /dev/stdout}\n            tcp: {address: "198.18.0.1:5000"}\n',
    path: 'spec.to[0].default.backends[0]',
    line: 8,
    message: /exactly one of "file", "tcp" or "openTelemetry"/,
  },
];

describe('bad policy manifests', () => {
  it.each(badManifests)('$name → $path, line $line', ({ text, code, path, line, message }) => {
    expect(() => parseResources(text, { source: 'policy.yaml' })).toThrow(issueAt(code ?? 'MESHCAP_ERR_INVALID_RESOURCE', { path, line, message, source: 'policy.yaml' }));
  });

  it('maps Kubernetes-format paths back to spec', () => {
    expect(() =>
      parseResources(`apiVersion: kuma.io/v1alpha1
kind: MeshFaultInjection
metadata:
  name: f
spec:
  from:
    - targetRef: {kind: Mesh}
      default:
        http:
          - abort: {httpStatus: 500, percentage: -1}
`),
    ).toThrow(issueAt('MESHCAP_ERR_INVALID_RESOURCE', { path: 'spec.from[0].default.http[0].abort.percentage', line: 10, message: /between 0 and 100/ }));
  });
});

describe('durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['100ms', 100],
    ['5s', 5000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250us', 0.25],
    // Go accepts both micro signs: U+00B5 and U+03BC.
    ['250\u00b5s', 0.25],
    ['250\u03bcs', 0.25],
    ['2h45m', 9_900_000],
  ])('%s is %d ms', (text, ms) => {
    expect(durationToMs(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '5', '-1s', 's', '1d', '5 s', '1s2'])('refuses %j', (text) => {
    expect(() => durationToMs(text)).toThrow(RangeError);
  });

});
