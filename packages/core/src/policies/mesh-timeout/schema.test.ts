import { describe } from 'vitest';
import { itLoadsKumaExamples, type KumaExample } from '../../model/policies/test-fixtures.ts';

// Manifests copied from Kuma's docs (kumahq/kuma-website app/_src/policies/*.md), as written there.
const kumaExamples: KumaExample[] = [
  [
    'meshtimeout.md "Full config applied to inbound and outbound of specific service"',
    `type: MeshTimeout
name: inbound-timeout
mesh: default
spec:
  targetRef:
    kind: MeshSubset
    tags:
      app: frontend
  from:
    - targetRef:
        kind: Mesh
      default:
        idleTimeout: 60s
        connectionTimeout: 2s
        http:
          requestTimeout: 10s
          streamIdleTimeout: 1h
          maxStreamDuration: 30m
          maxConnectionDuration: 30m
  to:
    - targetRef:
        kind: MeshService
        name: backend
        namespace: kuma-demo
      default:
        idleTimeout: 60s
        connectionTimeout: 1s
        http:
          requestTimeout: 5s
          streamIdleTimeout: 1h
          maxStreamDuration: 30m
          maxConnectionDuration: 30m
`,
  ],
];

describe('MeshTimeout schema', () => {
  itLoadsKumaExamples(kumaExamples);
});
