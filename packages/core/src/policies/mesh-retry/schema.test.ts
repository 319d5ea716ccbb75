import { describe } from 'vitest';
import { itLoadsKumaExamples, type KumaExample } from '../../model/policies/test-fixtures.ts';

// Manifests copied from Kuma's docs (kumahq/kuma-website app/_src/policies/*.md), as written there.
const kumaExamples: KumaExample[] = [
  [
    'meshretry.md "HTTP web to backend on 5xx" (Kubernetes)',
    `apiVersion: kuma.io/v1alpha1
kind: MeshRetry
metadata:
  name: web-to-backend-retry-http
  namespace: kuma-system
  labels:
    kuma.io/mesh: default # optional, defaults to \`default\` if unset
spec:
  targetRef:
    kind: MeshService
    name: web
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        http:
          numRetries: 10
          backOff:
            baseInterval: 15s
            maxInterval: 20m
          retryOn:
            - "5xx"
`,
  ],
];

describe('MeshRetry schema', () => {
  itLoadsKumaExamples(kumaExamples);
});
