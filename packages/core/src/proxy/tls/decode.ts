import { createHash, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ENVOY_FILTERS, ENVOY_TYPES, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { bool, fields, list, optStr, reject, str, typed } from '../xds-config/reader.ts';

/**
 * The TLS transport sockets meshcap dp runs (DownstreamTlsContext on inbound filter chains,
 * UpstreamTlsContext on clusters) and the SDS secrets they name, decoded into what node:tls takes.
 * Only the shape Kuma renders is honoured: certificates and the trust bundle by SDS name, URI SAN
 * matchers (prefix or exact); anything else is refused with its path.
 */

export interface SanMatcher {
  exact?: string;
  prefix?: string;
}

export interface TlsSocketConfig {
  /** The dataplane's key and certificate, and the trust bundle (SDS secrets in force). */
  context: SecureContext;
  /** Names of the secrets, for the dump and errors. */
  certificateSecret: string;
  caSecret: string;
  /** At least one of the peer's URI SANs must match one of these (none: any certificate of the CA). */
  sans: SanMatcher[];
  alpn: string[];
  /** Downstream: a client certificate is required (STRICT, and the mTLS chain of PERMISSIVE). */
  requireClientCertificate: boolean;
  /** Upstream: the SNI sent. */
  sni?: string;
  /** The dataplane's own certificate. */
  certificatePem: string;
  /** The trust bundle, parsed (an inbound checks the client's chain against it). */
  trusted: X509Certificate[];
}

/** SDS secrets by name, PEM text. */
export interface DecodedSecrets {
  certificates: Map<string, { certPem: string; keyPem: string }>;
  trusted: Map<string, string>;
}

function inlineBytes(value: unknown, where: string): string {
  const d = fields(value, where, ['inline_bytes', 'inline_string']);
  if (d['inline_string'] !== undefined) return str(d['inline_string'], `${where}.inline_string`);
  return Buffer.from(str(d['inline_bytes'], `${where}.inline_bytes`), 'base64').toString('utf8');
}

export function decodeSecrets(secrets: readonly EnvoyMessage[]): DecodedSecrets {
  const out: DecodedSecrets = { certificates: new Map(), trusted: new Map() };
  for (const s of secrets) {
    const name = str(s['name'], 'Secret.name');
    const where = `Secret "${name}"`;
    const o = typed(s, where, ENVOY_TYPES.secret, ['name', 'tls_certificate', 'validation_context']);
    if (o['tls_certificate'] !== undefined) {
      const c = fields(o['tls_certificate'], `${where}.tls_certificate`, ['certificate_chain', 'private_key']);
      out.certificates.set(name, { certPem: inlineBytes(c['certificate_chain'], `${where}.tls_certificate.certificate_chain`), keyPem: inlineBytes(c['private_key'], `${where}.tls_certificate.private_key`) });
    } else if (o['validation_context'] !== undefined) {
      const v = fields(o['validation_context'], `${where}.validation_context`, ['trusted_ca']);
      out.trusted.set(name, inlineBytes(v['trusted_ca'], `${where}.validation_context.trusted_ca`));
    } else {
      reject(where, 'needs tls_certificate or validation_context');
    }
  }
  return out;
}

function sdsName(value: unknown, where: string): string {
  const s = fields(value, where, ['name', 'sds_config']);
  if (s['sds_config'] !== undefined) fields(s['sds_config'], `${where}.sds_config`, ['ads', 'resource_api_version']);
  return str(s['name'], `${where}.name`);
}

function commonTlsContext(value: unknown, where: string, secrets: DecodedSecrets): Omit<TlsSocketConfig, 'requireClientCertificate' | 'sni'> {
  const c = fields(value, where, ['tls_certificate_sds_secret_configs', 'combined_validation_context', 'alpn_protocols']);
  const certs = list(c['tls_certificate_sds_secret_configs'], `${where}.tls_certificate_sds_secret_configs`);
  if (certs.length !== 1) reject(`${where}.tls_certificate_sds_secret_configs`, 'exactly one certificate (by SDS) is supported');
  const certificateSecret = sdsName(certs[0], `${where}.tls_certificate_sds_secret_configs[0]`);
  const at = `${where}.combined_validation_context`;
  const v = fields(c['combined_validation_context'], at, ['default_validation_context', 'validation_context_sds_secret_config']);
  const caSecret = sdsName(v['validation_context_sds_secret_config'], `${at}.validation_context_sds_secret_config`);
  const d = fields(v['default_validation_context'] ?? {}, `${at}.default_validation_context`, ['match_typed_subject_alt_names']);
  const sans = list(d['match_typed_subject_alt_names'], `${at}.default_validation_context.match_typed_subject_alt_names`).map((m, i) => {
    const mat = `${at}.default_validation_context.match_typed_subject_alt_names[${i}]`;
    const e = fields(m, mat, ['san_type', 'matcher']);
    if (str(e['san_type'], `${mat}.san_type`) !== 'URI') reject(`${mat}.san_type`, 'only URI is supported (identities are SPIFFE IDs)');
    const sm = fields(e['matcher'], `${mat}.matcher`, ['exact', 'prefix']);
    return { exact: optStr(sm['exact'], `${mat}.matcher.exact`), prefix: optStr(sm['prefix'], `${mat}.matcher.prefix`) };
  });
  const alpn = list(c['alpn_protocols'], `${where}.alpn_protocols`).map((a, i) => str(a, `${where}.alpn_protocols[${i}]`));
  const cert = secrets.certificates.get(certificateSecret);
  if (!cert) reject(`${where}.tls_certificate_sds_secret_configs[0].name`, `no Secret "${certificateSecret}" with a tls_certificate among the secrets received`);
  const ca = secrets.trusted.get(caSecret);
  if (ca === undefined) reject(`${at}.validation_context_sds_secret_config.name`, `no Secret "${caSecret}" with a validation_context among the secrets received`);
  let context: SecureContext;
  let trusted: X509Certificate[];
  try {
    // A session id context lets the inbound side resume sessions with client certificates; one per
    // trust bundle secret (a mesh), so a session never crosses meshes (OpenSSL allows 32 bytes).
    const sessionIdContext = createHash('sha256').update(caSecret).digest('hex').slice(0, 32);
    context = createSecureContext({ cert: cert.certPem, key: cert.keyPem, ca, minVersion: 'TLSv1.2', sessionIdContext });
    trusted = (ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  } catch (err) {
    reject(`Secret "${certificateSecret}"`, `cannot be used with Secret "${caSecret}": ${(err as Error).message}`);
  }
  if (trusted.length === 0) reject(`Secret "${caSecret}".validation_context.trusted_ca`, 'holds no certificate');
  return { context, certificateSecret, caSecret, sans, alpn, certificatePem: cert.certPem, trusted };
}

/** `{name: envoy.transport_sockets.tls, typed_config}` of the given context type, its fields. */
function tlsSocket(value: unknown, where: string, typeName: string, allowed: readonly string[]): Record<string, unknown> {
  const s = fields(value, where, ['name', 'typed_config']);
  if (str(s['name'], `${where}.name`) !== ENVOY_FILTERS.tls) reject(`${where}.name`, `only ${ENVOY_FILTERS.tls} is supported`);
  return typed(s['typed_config'], `${where}.typed_config`, typeName, ['common_tls_context', ...allowed]);
}

/** A filter chain's `transport_socket` (inbound): undefined when it has none. */
export function decodeDownstreamTls(value: unknown, where: string, secrets: DecodedSecrets): TlsSocketConfig | undefined {
  if (value === undefined) return undefined;
  const t = tlsSocket(value, where, ENVOY_TYPES.downstreamTlsContext, ['require_client_certificate']);
  const common = commonTlsContext(t['common_tls_context'], `${where}.typed_config.common_tls_context`, secrets);
  return { ...common, requireClientCertificate: t['require_client_certificate'] === undefined ? false : bool(t['require_client_certificate'], `${where}.typed_config.require_client_certificate`) };
}

/** A cluster's `transport_socket`: undefined when it has none. */
export function decodeUpstreamTls(value: unknown, where: string, secrets: DecodedSecrets): TlsSocketConfig | undefined {
  if (value === undefined) return undefined;
  const t = tlsSocket(value, where, ENVOY_TYPES.upstreamTlsContext, ['sni']);
  const common = commonTlsContext(t['common_tls_context'], `${where}.typed_config.common_tls_context`, secrets);
  return { ...common, requireClientCertificate: false, sni: optStr(t['sni'], `${where}.typed_config.sni`) };
}

/** Whether a peer's URI SANs satisfy the matchers. */
export function sansMatch(matchers: readonly SanMatcher[], sans: readonly string[]): boolean {
  if (matchers.length === 0) return true;
  return sans.some((s) => matchers.some((m) => (m.exact !== undefined ? s === m.exact : m.prefix !== undefined && s.startsWith(m.prefix))));
}

