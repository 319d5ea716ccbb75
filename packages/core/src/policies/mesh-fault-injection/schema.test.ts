import { describe, expect, it } from 'vitest';
import { itLoadsKumaExamples, type KumaExample } from '../../model/policies/test-fixtures.ts';
import { bandwidthToBitsPerSecond, meshFaultInjectionConf } from './schema.ts';

// Manifests copied from Kuma's docs (kumahq/kuma-website app/_src/policies/*.md), as written there.
const kumaExamples: KumaExample[] = [
  [
    'meshfaultinjection.md "Service backend returns 500 for 50% of requests from frontend service" (Kubernetes)',
    `apiVersion: kuma.io/v1alpha1
kind: MeshFaultInjection
metadata:
  name: default
  namespace: kuma-system
  labels:
    kuma.io/mesh: default # optional, defaults to \`default\` if it isn't configured
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: MeshSubset
        tags: 
          kuma.io/service: frontend
      default:
        http:
          - abort:
              httpStatus: 500
              percentage: 50
`,
  ],
  [
    'meshfaultinjection.md "50.5% of requests to service backend from any service is going to be delayed by 5s" (Universal)',
    `type: MeshFaultInjection
mesh: default
name: default-fault-injection
spec:
  targetRef:
    kind: MeshService
    name: backend
  from:
    - targetRef:
        kind: Mesh
        name: default
      default:
        http:
          - delay:
              percentage: "50.5"
              value: 5s
`,
  ],
];

describe('MeshFaultInjection schema', () => {
  itLoadsKumaExamples(kumaExamples);

  it.each([
    ['50Mbps', 50e6],
    ['10kbps', 10e3],
    ['1Gbps', 1e9],
    ['800bps', 800],
  ])('bandwidth %s is %d bit/s', (text, bps) => {
    expect(bandwidthToBitsPerSecond(text)).toBe(bps);
  });

  it('an abort takes exactly one of httpStatus or grpcStatus (0..16)', () => {
    const abort = (a: object) => meshFaultInjectionConf.safeParse({ http: [{ abort: { percentage: 100, ...a } }] });
    expect(abort({ grpcStatus: 14 }).success).toBe(true);
    expect(abort({ httpStatus: 503 }).success).toBe(true);
    expect(abort({ httpStatus: 503, grpcStatus: 14 }).error?.issues[0]?.message).toBe('needs exactly one of httpStatus or grpcStatus');
    expect(abort({}).success).toBe(false);
    expect(abort({ grpcStatus: 17 }).error?.issues[0]?.path).toEqual(['http', 0, 'abort', 'grpcStatus']);
  });
});
