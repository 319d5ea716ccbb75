import { ENVOY_FILTERS, ENVOY_TYPES, packAny, typedExtension, type EnvoyMessage } from '../xds/envoy-json.ts';

/**
 * mTLS as Kuma renders it for Envoy: two SDS secrets per dataplane (its identity certificate and
 * the mesh's trust bundle), a DownstreamTlsContext on inbound filter chains (client certificate
 * required, SAN prefix `spiffe://<mesh>/`), an UpstreamTlsContext on clusters to mesh services
 * (SNI `<service>{mesh=<mesh>}`, ALPN `kuma`, SAN exactly `spiffe://<mesh>/<service>`).
 */

export type MtlsMode = 'STRICT' | 'PERMISSIVE';

/** What the listeners and clusters of one dataplane need to know of its mesh's mTLS (no key material). */
export interface MtlsRendering {
  mesh: string;
  mode: MtlsMode;
}

/** Kuma's ALPN for mesh mTLS: tells an inbound's mTLS apart from an application's own TLS. */
export const KUMA_ALPN = 'kuma';

export function identitySecretName(mesh: string): string {
  return `identity_cert:secret:${mesh}`;
}

export function caSecretName(mesh: string): string {
  return `mesh_ca:secret:${mesh}`;
}

export function spiffeId(mesh: string, service: string): string {
  return `spiffe://${mesh}/${service}`;
}

/** Kuma's SNI for a mesh service (tls.SNIFromTags with the mesh tag). */
export function meshServiceSni(mesh: string, service: string): string {
  return `${service}{mesh=${mesh}}`;
}

const SDS_ADS: EnvoyMessage = Object.freeze({ ads: {}, resource_api_version: 'V3' });

function sdsConfig(name: string): EnvoyMessage {
  return { name, sds_config: SDS_ADS };
}

function commonTlsContext(mesh: string, san: EnvoyMessage, alpn: boolean): EnvoyMessage {
  // Field-number order, as Envoy prints: alpn_protocols (4), tls_certificate_sds_secret_configs (6), combined_validation_context (8).
  return {
    ...(alpn ? { alpn_protocols: [KUMA_ALPN] } : {}),
    tls_certificate_sds_secret_configs: [sdsConfig(identitySecretName(mesh))],
    combined_validation_context: {
      default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: san }] },
      validation_context_sds_secret_config: sdsConfig(caSecretName(mesh)),
    },
  };
}

/** An inbound filter chain's transport socket: terminates mTLS, any service of the mesh may connect. */
export function downstreamTlsSocket(mesh: string): EnvoyMessage {
  return typedExtension(ENVOY_FILTERS.tls, ENVOY_TYPES.downstreamTlsContext, {
    common_tls_context: commonTlsContext(mesh, { prefix: `spiffe://${mesh}/` }, false),
    require_client_certificate: true,
  });
}

/** A mesh service cluster's transport socket: originates mTLS and accepts only that service's identity. */
export function upstreamTlsSocket(mesh: string, service: string): EnvoyMessage {
  return typedExtension(ENVOY_FILTERS.tls, ENVOY_TYPES.upstreamTlsContext, {
    common_tls_context: commonTlsContext(mesh, { exact: spiffeId(mesh, service) }, true),
    sni: meshServiceSni(mesh, service),
  });
}

/** PERMISSIVE: the listener filter that tells TLS from plaintext, and the chain matches it selects on. */
export const TLS_INSPECTOR: EnvoyMessage = Object.freeze(typedExtension(ENVOY_FILTERS.tlsInspector, ENVOY_TYPES.tlsInspector));
export const MATCH_MTLS: EnvoyMessage = Object.freeze({ transport_protocol: 'tls', application_protocols: [KUMA_ALPN] });
export const MATCH_PLAINTEXT: EnvoyMessage = Object.freeze({ transport_protocol: 'raw_buffer' });

function pemBytes(pem: string): EnvoyMessage {
  return { inline_bytes: Buffer.from(pem).toString('base64') };
}

/** The two SDS secrets of a dataplane: its identity (certificate and key) and the trust bundle (every CA of the mesh during a rotation). */
export function mtlsSecrets(mesh: string, identity: { certPem: string; keyPem: string }, trustedCaPems: readonly string[]): EnvoyMessage[] {
  return [
    packAny(ENVOY_TYPES.secret, { name: identitySecretName(mesh), tls_certificate: { certificate_chain: pemBytes(identity.certPem), private_key: pemBytes(identity.keyPem) } }),
    packAny(ENVOY_TYPES.secret, { name: caSecretName(mesh), validation_context: { trusted_ca: pemBytes(trustedCaPems.join('')) } }),
  ];
}

/** Envoy's `/config_dump` never shows private keys: it prints `[redacted]` in their place. */
export function redactSecret(secret: EnvoyMessage): EnvoyMessage {
  const cert = secret['tls_certificate'] as EnvoyMessage | undefined;
  if (!cert || cert['private_key'] === undefined) return secret;
  return { ...secret, tls_certificate: { ...cert, private_key: { inline_string: '[redacted]' } } };
}

/** SDS names a set of listeners and clusters asks for (Envoy subscribes to secrets by name). */
export function sdsNamesOf(resources: Iterable<EnvoyMessage>): string[] {
  const out = new Set<string>();
  const fromSocket = (socket: unknown): void => {
    const tc = (socket as EnvoyMessage | undefined)?.['typed_config'] as EnvoyMessage | undefined;
    const common = tc?.['common_tls_context'] as EnvoyMessage | undefined;
    if (!common) return;
    for (const c of (common['tls_certificate_sds_secret_configs'] as EnvoyMessage[] | undefined) ?? []) if (typeof c['name'] === 'string') out.add(c['name']);
    const v = (common['combined_validation_context'] as EnvoyMessage | undefined)?.['validation_context_sds_secret_config'] as EnvoyMessage | undefined;
    if (typeof v?.['name'] === 'string') out.add(v['name']);
    const direct = common['validation_context_sds_secret_config'] as EnvoyMessage | undefined;
    if (typeof direct?.['name'] === 'string') out.add(direct['name']);
  };
  for (const r of resources) {
    fromSocket(r['transport_socket']);
    for (const chain of (r['filter_chains'] as EnvoyMessage[] | undefined) ?? []) fromSocket(chain['transport_socket']);
  }
  return [...out].sort();
}
