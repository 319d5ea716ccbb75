import { describe } from 'vitest';
import { itLoadsKumaExamples, type KumaExample } from '../../model/policies/test-fixtures.ts';

// Manifests copied from Kuma's docs (kumahq/kuma-website app/_src/policies/*.md), as written there.
const kumaExamples: KumaExample[] = [
  [
    'targetref.md MeshAccessLog example (Kubernetes, Kuma ≤2.2 backend and format spelling)',
    `apiVersion: kuma.io/v1alpha1
kind: MeshAccessLog
metadata:
  name: example
  namespace: kuma-system
  labels:
    kuma.io/mesh: default
spec:
  targetRef: # top level targetRef
    kind: MeshService
    name: web-frontend
  to:
    - targetRef: # to level targetRef
        kind: MeshService
        name: web-backend
      default:
        backends:
          - file:
              format:
                plain: '{"start_time": "%START_TIME%"}'
              path: "/tmp/logs.txt"
  from:
    - targetRef: # from level targetRef
        kind: Mesh
      default:
        backends:
          - file:
              format:
                plain: '{"start_time": "%START_TIME%"}'
              path: "/tmp/logs.txt"
`,
  ],
  [
    'meshaccesslog.md backends with type (Kuma ≥2.3)',
    `type: MeshAccessLog
name: to-backend
mesh: default
spec:
  targetRef:
    kind: MeshServiceSubset
    name: frontend
    tags:
      version: canary
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        backends:
          - type: File
            file:
              path: /dev/stdout
              format:
                type: Json
                json:
                  - key: "start_time"
                    value: "%START_TIME%"
          - type: Tcp
            tcp:
              address: 127.0.0.1:5000
`,
  ],
];

describe('MeshAccessLog schema', () => {
  itLoadsKumaExamples(kumaExamples);
});
