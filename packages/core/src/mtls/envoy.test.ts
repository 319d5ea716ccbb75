import { describe, expect, it } from 'vitest';
import { ENVOY_TYPES, type EnvoyMessage } from '../xds/envoy-json.ts';
import { configDumpOfResources } from '../xds/config-dump.ts';
import { xdsResourcesOf } from '../xds/provider.ts';
import { expectEnvoyValid, meshWith } from '../xds/test-fixtures.ts';
import { engineConfigFromXds } from '../proxy/xds-config/engine-config.ts';
import { dataplaneYaml, resourcesYaml } from '../testing.ts';
import { createBuiltinCa, issueDataplaneCertificate } from './ca.ts';
import { mtlsSecrets, sdsNamesOf } from './envoy.ts';

// The Envoy resources of a mesh with mTLS, as the control plane renders them and as Kuma does:
// checked strictly against Envoy's protos, and decoded by meshcap dp.

const MESH = (mode: string): string => `
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends: [{ name: ca-1, type: builtin, mode: ${mode} }]
---
${resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: '198.18.0.2', inbound: [{ port: 8080, service: 'web', protocol: 'http' }], outbound: [{ port: 9090, address: '198.18.0.2', service: 'backend' }] }),
  dataplaneYaml({ mesh: 'default', name: 'backend', address: '198.18.0.3', inbound: [{ port: 9090, service: 'backend', tags: { version: 'v2' } }] }),
)}---
type: MeshTrafficPermission
name: from-web-v1
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - { targetRef: { kind: MeshSubset, tags: { kuma.io/service: canary } }, default: { action: Deny } }
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
`;

type Obj = Record<string, unknown>;
const chainsOf = (l: EnvoyMessage): Obj[] => l['filter_chains'] as Obj[];

describe('mTLS rendering', () => {
  it('STRICT: the inbound terminates with a client certificate required; clusters to mesh services originate with Kuma SNI, ALPN and SAN', async () => {
    const pc = meshWith(MESH('STRICT'));
    const set = xdsResourcesOf(pc.compile('default', 'backend'));
    const inbound = set.listeners.find((l) => l['name'] === 'inbound:198.18.0.3:9090')!;
    const [chain, ...rest] = chainsOf(inbound);
    expect(rest).toEqual([]);
    const tc = (chain!['transport_socket'] as Obj)['typed_config'] as Obj;
    expect(tc['@type']).toBe(`type.googleapis.com/${ENVOY_TYPES.downstreamTlsContext}`);
    expect(tc['require_client_certificate']).toBe(true);
    expect(tc['common_tls_context']).toEqual({
      tls_certificate_sds_secret_configs: [{ name: 'identity_cert:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } }],
      combined_validation_context: {
        default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://default/' } }] },
        validation_context_sds_secret_config: { name: 'mesh_ca:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    });
    // MeshTrafficPermission by verified identity: the Allow rule, after the Deny before it.
    const rbac = ((chain!['filters'] as Obj[])[0]!['typed_config'] as Obj)['rules'] as Obj;
    expect(rbac).toEqual({
      policies: {
        'from-web-v1': {
          permissions: [{ any: true }],
          principals: [
            { and_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://default/web' } } }, { not_id: { authenticated: { principal_name: { exact: 'spiffe://default/canary' } } } }] } },
          ],
        },
      },
    });
    const web = xdsResourcesOf(pc.compile('default', 'web'));
    const cluster = web.clusters.find((c) => c['name'] === 'backend')!;
    const up = (cluster['transport_socket'] as Obj)['typed_config'] as Obj;
    expect(up['sni']).toBe('backend{mesh=default}');
    expect((up['common_tls_context'] as Obj)['alpn_protocols']).toEqual(['kuma']);
    expect(JSON.stringify(up)).toContain('"exact":"spiffe://default/backend"');
    // Passthrough stays plaintext.
    for (const c of web.clusters.filter((x) => String(x['name']).includes('passthrough'))) expect(c['transport_socket']).toBeUndefined();
    expect(sdsNamesOf([...web.listeners, ...web.clusters])).toEqual(['identity_cert:secret:default', 'mesh_ca:secret:default']);
    for (const r of [...set.listeners, ...web.clusters]) await expectEnvoyValid(r, 'google.protobuf.Any');
  });

  it('PERMISSIVE: tls_inspector, an mTLS chain on transport_protocol tls + ALPN kuma, and plaintext chains on raw_buffer (address identity)', async () => {
    const set = xdsResourcesOf(meshWith(MESH('PERMISSIVE')).compile('default', 'backend'));
    const inbound = set.listeners.find((l) => l['name'] === 'inbound:198.18.0.3:9090')!;
    expect((inbound['listener_filters'] as Obj[]).map((f) => f['name'])).toEqual(['envoy.filters.listener.tls_inspector']);
    const chains = chainsOf(inbound);
    expect(chains.map((c) => [c['name'], c['filter_chain_match'], c['transport_socket'] !== undefined])).toEqual([
      ['inbound:198.18.0.3:9090:clients-1', { source_prefix_ranges: [{ address_prefix: '198.18.0.2', prefix_len: 32 }], transport_protocol: 'raw_buffer' }, false],
      ['inbound:198.18.0.3:9090:mtls', { transport_protocol: 'tls', application_protocols: ['kuma'] }, true],
      ['inbound:198.18.0.3:9090', { transport_protocol: 'raw_buffer' }, false],
    ]);
    await expectEnvoyValid(inbound, 'google.protobuf.Any');
  });

  it('secrets are Envoy-valid, decoded by meshcap dp, and redacted in config_dump', async () => {
    const pc = meshWith(MESH('STRICT'));
    const ca = await createBuiltinCa({ mesh: 'default', backend: 'ca-1', rsaBits: 2048, expirationMs: 86_400_000 });
    const leaf = await issueDataplaneCertificate(ca, { mesh: 'default', services: ['backend'], tags: {}, expirationMs: 3_600_000 });
    const set = { ...xdsResourcesOf(pc.compile('default', 'backend')), secrets: mtlsSecrets('default', leaf, [ca.certPem]) };
    for (const s of set.secrets) await expectEnvoyValid(s, 'google.protobuf.Any');
    const { config } = engineConfigFromXds(set);
    const l = config.listeners.find((x) => x.name === 'inbound:198.18.0.3:9090')!;
    expect(l.mtls).toMatchObject({ permissive: false, tls: { requireClientCertificate: true, sans: [{ prefix: 'spiffe://default/' }] } });
    expect(() => engineConfigFromXds({ ...set, secrets: [] })).toThrow(/no Secret "identity_cert:secret:default"/);
    const dump = configDumpOfResources({ resources: set, version: 'v1', node: { id: 'default.backend' } });
    await expectEnvoyValid(dump);
    const text = JSON.stringify(dump);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(Buffer.from(leaf.keyPem).toString('base64'));
    expect(text).toContain(Buffer.from(leaf.certPem).toString('base64'));
  });
});
