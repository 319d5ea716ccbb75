import { describe, expect, it } from 'vitest';
import { parseResources } from '../model/parse.ts';
import { PolicyCompiler, type ChangeResult } from './state.ts';
import { dataplane, http } from './test-fixtures.ts';

const coded = (code: string) => expect.objectContaining({ code });

const changed = (r: ChangeResult) => r.changes.map((c) => `${c.dataplane}@${c.version?.counter ?? 'removed'}`);

/** web-1 and web-2 serve web; api-1 serves api; none uses transparent proxying. */
function compilerWithMesh(): PolicyCompiler {
  const compiler = new PolicyCompiler({ now: () => new Date('2026-01-01T00:00:00Z') });
  compiler.applyAll([
    dataplane({ name: 'web-1', address: '198.18.1.1', inbound: [{ port: 8080, tags: http('web') }], outbound: [{ port: 10001, service: 'api' }] }),
    dataplane({ name: 'web-2', address: '198.18.1.2', inbound: [{ port: 8080, tags: http('web') }], outbound: [{ port: 10001, service: 'api' }] }),
    dataplane({ name: 'api-1', address: '198.18.1.3', inbound: [{ port: 9090, tags: http('api') }] }),
  ]);
  return compiler;
}

const webFault = `type: MeshFaultInjection
name: web-fault
spec:
  targetRef: {kind: MeshService, name: web}
  from: [{targetRef: {kind: Mesh}, default: {http: [{delay: {value: 200ms, percentage: 100}}]}}]
`;

describe('PolicyCompiler versions', () => {
  it('gives each new dataplane version 1, with versionInfo from counter and hash', () => {
    const compiler = compilerWithMesh();
    const v = compiler.version('default', 'web-1')!;
    expect(v).toMatchObject({ counter: 1, updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(v.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(v.versionInfo).toBe(`1-${v.hash.slice(0, 12)}`);
  });

  it('changes the version of exactly the dataplanes a policy reaches', () => {
    const compiler = compilerWithMesh();
    const api = compiler.version('default', 'api-1');
    expect(changed(compiler.applyAll(parseResources(webFault)))).toEqual(['web-1@2', 'web-2@2']);
    expect(compiler.version('default', 'api-1')).toEqual(api);
  });

  it('leaves versions alone for a change that affects nobody, or that changes nothing', () => {
    const compiler = compilerWithMesh();
    compiler.applyAll(parseResources(webFault));
    expect(changed(compiler.applyAll(parseResources(webFault)))).toEqual([]);
    expect(changed(compiler.apply(parseResources('type: MeshRetry\nname: to-payments\nspec:\n  to: [{targetRef: {kind: MeshService, name: payments}, default: {http: {numRetries: 1}}}]\n')[0]))).toEqual([]);
    // Same content, written differently: still no change.
    expect(changed(compiler.apply(parseResources(webFault.replace('percentage: 100', 'percentage: "100"'))[0]))).toEqual([]);
  });

  it('changes only the toggled dataplane, once per real change, and counts on when toggled back', () => {
    const compiler = compilerWithMesh();
    compiler.applyAll(parseResources(webFault));
    const before = compiler.version('default', 'web-1')!;
    expect(changed(compiler.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', false))).toEqual(['web-1@3']);
    expect(changed(compiler.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', false))).toEqual([]);
    expect(compiler.compile('default', 'web-1').inbounds[0]!.policies.MeshFaultInjection?.rules).toEqual([]);
    expect(compiler.compile('default', 'web-2').inbounds[0]!.policies.MeshFaultInjection?.rules).toHaveLength(1);
    expect(compiler.toggles()).toEqual([{ mesh: 'default', dataplane: 'web-1', policyType: 'MeshFaultInjection', policyName: 'web-fault', enabled: false }]);
    const back = compiler.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', true);
    expect(changed(back)).toEqual(['web-1@4']);
    // The counter never goes back; the content (hash) is what it was before the toggle.
    expect(back.changes[0]!.version!.hash).toBe(before.hash);
    expect(compiler.toggles()).toEqual([]);
  });

  it('gives the clients of a service a new version when an instance of it appears (endpoints are config)', () => {
    const compiler = compilerWithMesh();
    const r = compiler.apply(dataplane({ name: 'api-2', address: '198.18.1.4', inbound: [{ port: 9090, tags: http('api') }] }));
    expect(changed(r)).toEqual(['api-2@1', 'web-1@2', 'web-2@2']);
    expect(compiler.compile('default', 'web-1').outbounds[0]!.endpoints.map((e) => e.dataplane)).toEqual(['api-1', 'api-2']);
  });

  it('gives a replica that skipped a state the counters the writer gave, once it adopts them', () => {
    const writer = compilerWithMesh();
    const replica = compilerWithMesh();
    writer.applyAll(parseResources(webFault));
    writer.delete('MeshFaultInjection', 'default', 'web-fault');
    writer.applyAll(parseResources(webFault.replace('percentage: 100', 'percentage: 50')));
    // The replica reloads once and sees only the last state: on its own it would count one change.
    expect(changed(replica.applyAll(parseResources(webFault)))).toEqual(['web-1@2', 'web-2@2']);
    replica.adoptVersions(writer.versions());
    replica.applyAll(parseResources(webFault.replace('percentage: 100', 'percentage: 50')));
    for (const name of ['web-1', 'web-2', 'api-1']) expect(replica.version('default', name)?.versionInfo).toBe(writer.version('default', name)?.versionInfo);
    // A toggle turned off and on on the writer: the same content, a higher counter, taken as a change.
    writer.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', false);
    writer.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', true);
    expect(changed(replica.adoptVersions(writer.versions()))).toEqual(['web-1@6']);
    expect(replica.version('default', 'web-1')?.versionInfo).toBe(writer.version('default', 'web-1')?.versionInfo);
    expect(changed(replica.adoptVersions(writer.versions()))).toEqual([]);
    // Content it never had continues from the adopted counter.
    writer.delete('MeshFaultInjection', 'default', 'web-fault');
    replica.delete('MeshFaultInjection', 'default', 'web-fault');
    expect(replica.version('default', 'web-1')?.counter).toBe(writer.version('default', 'web-1')?.counter);
  });

  it('keeps counters across a restart when given the stored versions', () => {
    const first = compilerWithMesh();
    first.applyAll(parseResources(webFault));
    first.setToggle('default', 'web-2', 'MeshFaultInjection', 'web-fault', false);
    const stored = { resources: first.resources(), toggles: first.toggles(), versions: first.versions() };

    const second = new PolicyCompiler({ versions: stored.versions });
    const replay = second.applyAll(JSON.parse(JSON.stringify(stored.resources)));
    // web-2's toggle is not replayed yet, so only web-2 differs from what was stored.
    expect(changed(replay)).toEqual(['web-2@4']);
    expect(second.version('default', 'web-1')).toMatchObject({ counter: 2, hash: first.version('default', 'web-1')!.hash });
    expect(second.version('default', 'api-1')!.counter).toBe(1);

    // Given the stored toggles too, every dataplane, the toggled one included, keeps its version.
    const third = new PolicyCompiler({ versions: stored.versions, toggles: stored.toggles });
    third.applyAll(JSON.parse(JSON.stringify(stored.resources)));
    expect(third.versions()).toEqual(expect.arrayContaining(stored.versions));
    expect(third.versions()).toHaveLength(stored.versions.length);
    expect(third.toggles()).toEqual(stored.toggles);
    expect(third.isEnabled('default', 'web-2', 'MeshFaultInjection', 'web-fault')).toBe(false);
  });
});

describe('PolicyCompiler changes', () => {
  it('tells listeners about every change that gave a dataplane a new version, and survives a failing listener', () => {
    const errors: unknown[] = [];
    const compiler = new PolicyCompiler({ onListenerError: (e) => errors.push(e) });
    const seen: string[][] = [];
    const stop = compiler.onChange((r) => seen.push(changed(r)));
    compiler.onChange(() => {
      throw new Error('listener bug');
    });
    compiler.apply(dataplane({ name: 'web-1', address: '198.18.1.1', inbound: [{ port: 8080, tags: http('web') }] }));
    compiler.apply(parseResources('type: MeshRetry\nname: nobody\nspec:\n  to: [{targetRef: {kind: MeshService, name: x}, default: {tcp: {maxConnectAttempt: 1}}}]\n')[0]);
    compiler.applyAll(parseResources(webFault));
    stop();
    compiler.delete('MeshFaultInjection', 'default', 'web-fault');
    expect(seen).toEqual([['web-1@1'], ['web-1@2']]);
    expect(errors).toHaveLength(3);
    expect(compiler.version('default', 'web-1')!.counter).toBe(3);
  });

  it('deletes a policy with its toggles: applied again, it starts enabled', () => {
    const compiler = compilerWithMesh();
    compiler.applyAll(parseResources(webFault));
    compiler.setToggle('default', 'web-1', 'MeshFaultInjection', 'web-fault', false);
    // web-1 enforced nothing of it, but listed it as off: its matched list changed, so it gets a version too.
    expect(changed(compiler.delete('MeshFaultInjection', 'default', 'web-fault'))).toEqual(['web-1@4', 'web-2@3']);
    compiler.applyAll(parseResources(webFault));
    expect(compiler.isEnabled('default', 'web-1', 'MeshFaultInjection', 'web-fault')).toBe(true);
    expect(compiler.compile('default', 'web-1').matchedPolicies[0]).toMatchObject({ name: 'web-fault', enabled: true });
  });

  it('reports a deleted dataplane as removed, and a deleted mesh takes everything in it', () => {
    const compiler = compilerWithMesh();
    expect(compiler.delete('Dataplane', 'default', 'api-1').changes).toEqual([
      { mesh: 'default', dataplane: 'api-1', previous: expect.objectContaining({ counter: 1 }) },
      expect.objectContaining({ dataplane: 'web-1' }),
      expect.objectContaining({ dataplane: 'web-2' }),
    ]);
    expect(changed(compiler.delete('Mesh', 'default', 'default'))).toEqual(['web-1@removed', 'web-2@removed']);
    expect(compiler.meshes()).toEqual([]);
    expect(() => compiler.compile('default', 'web-1')).toThrow(coded('MESHCAP_ERR_NOT_FOUND'));
  });

  it('loads Kubernetes-format manifests, with the mesh from the kuma.io/mesh label', () => {
    const compiler = new PolicyCompiler();
    compiler.applyAll([
      ...parseResources('type: Mesh\nname: prod\n'),
      dataplane({ name: 'web-1', mesh: 'prod', address: '198.18.1.1', inbound: [{ port: 8080, tags: http('web') }] }),
      {
        apiVersion: 'kuma.io/v1alpha1',
        kind: 'MeshFaultInjection',
        metadata: { name: 'k8s-fault', namespace: 'kuma-system', labels: { 'kuma.io/mesh': 'prod' } },
        spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { http: [{ abort: { httpStatus: 503, percentage: '12.5' } }] } }] },
      },
    ]);
    expect(compiler.policies('prod').map((p) => [p.type, p.name, p.mesh])).toEqual([['MeshFaultInjection', 'k8s-fault', 'prod']]);
    expect(compiler.compile('prod', 'web-1').inbounds[0]!.policies.MeshFaultInjection?.rules[0]?.conf).toEqual({ http: [{ abort: { httpStatus: 503, percentage: 12.5 } }] });
  });
});

describe('PolicyCompiler refuses bad input and changes nothing', () => {
  const cases: Array<{ name: string; input: unknown[]; code: string; path?: string; document?: number }> = [
    { name: 'unknown kind', input: [{ type: 'MeshTeleport', name: 'x', spec: {} }], code: 'MESHCAP_ERR_UNKNOWN_KIND', path: 'type' },
    {
      name: 'wrong targetRef kind',
      input: [{ type: 'MeshRetry', name: 'r', spec: { targetRef: { kind: 'MeshGateway', name: 'g' }, to: [{ targetRef: { kind: 'Mesh' }, default: {} }] } }],
      code: 'MESHCAP_ERR_INVALID_RESOURCE',
      path: 'spec.targetRef.kind',
    },
    {
      name: 'negative percentage, second of two documents (the valid first one is not stored either)',
      input: [
        { type: 'MeshTimeout', name: 'fine', spec: { to: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '1s' } }] } },
        { type: 'MeshFaultInjection', name: 'f', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { http: [{ abort: { httpStatus: 500, percentage: -1 } }] } }] } },
      ],
      code: 'MESHCAP_ERR_INVALID_RESOURCE',
      path: 'spec.from[0].default.http[0].abort.percentage',
      document: 1,
    },
    {
      name: 'bad duration',
      input: [{ type: 'MeshTimeout', name: 't', spec: { to: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '10 minutes' } }] } }],
      code: 'MESHCAP_ERR_INVALID_RESOURCE',
      path: 'spec.to[0].default.idleTimeout',
    },
    {
      name: 'a resource in a mesh that does not exist',
      input: [{ type: 'MeshTimeout', name: 't', mesh: 'nowhere', spec: { to: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '1s' } }] } }],
      code: 'MESHCAP_ERR_NOT_FOUND',
    },
  ];

  it.each(cases)('$name', ({ input, code, path, document }) => {
    const compiler = compilerWithMesh();
    compiler.applyAll(parseResources(webFault));
    const before = { resources: compiler.resources(), versions: compiler.versions(), toggles: compiler.toggles() };
    let notified = false;
    compiler.onChange(() => (notified = true));
    const issue = expect.objectContaining({ path, ...(document !== undefined ? { document } : {}) });
    expect(() => compiler.applyAll(input)).toThrow(path ? expect.objectContaining({ code, issues: expect.arrayContaining([issue]) }) : coded(code));
    expect({ resources: compiler.resources(), versions: compiler.versions(), toggles: compiler.toggles() }).toEqual(before);
    expect(notified).toBe(false);
  });

  it('refuses toggles and deletes of things that do not exist', () => {
    const compiler = compilerWithMesh();
    compiler.applyAll(parseResources(webFault));
    expect(() => compiler.setToggle('default', 'nope', 'MeshFaultInjection', 'web-fault', false)).toThrow(coded('MESHCAP_ERR_NOT_FOUND'));
    expect(() => compiler.setToggle('default', 'web-1', 'MeshFaultInjection', 'nope', false)).toThrow(coded('MESHCAP_ERR_NOT_FOUND'));
    expect(() => compiler.setToggle('default', 'web-1', 'FaultInjection', 'web-fault', false)).toThrow(coded('MESHCAP_ERR_UNKNOWN_KIND'));
    expect(() => compiler.delete('MeshRetry', 'default', 'nope')).toThrow(coded('MESHCAP_ERR_NOT_FOUND'));
    expect(() => compiler.delete('Secret', 'default', 'x')).toThrow(coded('MESHCAP_ERR_UNKNOWN_KIND'));
    expect(compiler.toggles()).toEqual([]);
  });

  it('hands out compiled configs that cannot be modified by accident', () => {
    const config = compilerWithMesh().compile('default', 'web-1');
    expect(Object.isFrozen(config) && Object.isFrozen(config.inbounds[0])).toBe(true);
  });
});
