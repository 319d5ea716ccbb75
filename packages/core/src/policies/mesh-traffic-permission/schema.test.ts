import { describe } from 'vitest';
import { itLoadsKumaExamples, type KumaExample } from '../../model/policies/test-fixtures.ts';

// Manifests copied from Kuma's docs (kumahq/kuma-website app/_src/policies/*.md), as written there.
const kumaExamples: KumaExample[] = [
  [
    'meshtrafficpermission.md "Allow requests from zone us-east, deny requests from dev environment"',
    `type: MeshTrafficPermission
name: example-with-tags
mesh: default
spec:
   targetRef: # 1
      kind: Mesh
   from:
      - targetRef: # 2
           kind: MeshSubset
           tags:
              kuma.io/zone: us-east
        default: # 3
           action: Allow
      - targetRef: # 4
           kind: MeshSubset
           tags:
              env: dev
        default: # 5
           action: Deny
`,
  ],
  [
    'meshtrafficpermission.md "Deny all" (2.9+, no top-level targetRef)',
    `type: MeshTrafficPermission
name: deny-all
mesh: default
spec:
  from:
    - targetRef: # 2
        kind: Mesh
      default: # 3
        action: Deny
`,
  ],
];

describe('MeshTrafficPermission schema', () => {
  itLoadsKumaExamples(kumaExamples);
});
