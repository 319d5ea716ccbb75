import { describe, expect, it } from 'vitest';
import { meshcapErrorOf, SEED_DATAPLANE_YAML } from '../testing.ts';
import { inboundListenerName, protocolOf, type Dataplane } from './dataplane.ts';
import { parseResources } from './parse.ts';

describe('parseResources', () => {
  it("loads the seed's Dataplane as written", () => {
    const [dp] = parseResources(SEED_DATAPLANE_YAML) as [Dataplane];
    expect(dp).toMatchObject({ type: 'Dataplane', mesh: 'default', name: 'demo-app' });
    expect(dp.networking.inbound[0]).toEqual({
      port: 15000,
      servicePort: 5000,
      serviceAddress: '127.0.0.1',
      tags: { 'kuma.io/service': 'app', 'kuma.io/protocol': 'http' },
    });
    expect(inboundListenerName(dp, dp.networking.inbound[0]!)).toBe('inbound:10.119.249.39:15000');
    expect(protocolOf(dp.networking.inbound[0]!.tags)).toBe('http');
  });

  it('loads several documents and a Kubernetes-format manifest', () => {
    const text = `type: Mesh
name: default
---
apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: backend
  labels:
    kuma.io/mesh: prod
spec:
  networking:
    address: 198.18.0.20
    inbound:
      - port: 8080
        tags:
          kuma.io/service: backend
    transparentProxying:
      redirectPortInbound: 15006
      redirectPortOutbound: 15001
`;
    const [mesh, dp] = parseResources(text);
    expect(mesh).toMatchObject({ type: 'Mesh', name: 'default' });
    expect(dp).toMatchObject({ type: 'Dataplane', name: 'backend', mesh: 'prod', networking: { address: '198.18.0.20' } });
  });

  it('reads a JSON array of resources', () => {
    const json = JSON.stringify([{ type: 'Mesh', name: 'default' }, { type: 'Mesh', name: 'other' }]);
    expect(parseResources(json).map((r) => r.name)).toEqual(['default', 'other']);
  });

  it('names the field path and line of every problem, in every document', () => {
    const text = `type: Dataplane
name: web
networking:
  address: not-an-ip
  inbound:
    - port: 70000
      tags:
        kuma.io/protocol: http
---
type: Dataplane
name: Bad_Name
networking:
  address: 198.18.0.1
`;
    const err = meshcapErrorOf(() => parseResources(text, { source: 'dp.yaml' }));
    expect(err.code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    expect(byPath['networking.address']).toMatchObject({ line: 4, document: 0, source: 'dp.yaml' });
    expect(byPath['networking.inbound[0].port']).toMatchObject({ line: 6, message: 'must be 1..65535' });
    expect(byPath['networking.inbound[0].tags']).toMatchObject({ line: 8, message: 'must have a "kuma.io/service" tag' });
    expect(byPath.name).toMatchObject({ line: 11, document: 1 });
    expect(err.message).toContain('dp.yaml:6:');
  });

  it('maps Kubernetes-format errors back to where they were written', () => {
    const text = `apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: backend
spec:
  networking:
    address: 198.18.0.1
    inbound:
      - port: 0
        tags: { kuma.io/service: b }
`;
    const err = meshcapErrorOf(() => parseResources(text));
    expect(err.issues[0]).toMatchObject({ path: 'spec.networking.inbound[0].port', line: 9 });
  });

  it('rejects unknown kinds, unknown fields and bad YAML with coded errors', () => {
    expect(meshcapErrorOf(() => parseResources('type: Nope\nname: x\n')).code).toBe('MESHCAP_ERR_UNKNOWN_KIND');
    const unknownField = meshcapErrorOf(() => parseResources('type: Dataplane\nname: x\nnetworking:\n  address: 198.18.0.1\n  inbund: []\n'));
    expect(unknownField.issues[0]).toMatchObject({ path: 'networking', line: 4 });
    expect(unknownField.issues[0]?.message).toContain('inbund');
    const syntax = meshcapErrorOf(() => parseResources('type: Mesh\nname: [unclosed\n'));
    expect(syntax.code).toBe('MESHCAP_ERR_YAML_SYNTAX');
    expect(syntax.issues[0]?.line).toBeGreaterThan(0);
  });

  it('refuses a YAML alias bomb (billion laughs) with a coded syntax error, not a ReferenceError (found by parse.fuzz)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const err = meshcapErrorOf(() => parseResources(`type: Mesh\nname: bomb\n${lines.join('\n')}\n`));
    expect(err.code).toBe('MESHCAP_ERR_YAML_SYNTAX');
    expect(err.message).toContain('alias');
  });
});
