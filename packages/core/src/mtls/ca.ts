import { randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * Kuma's builtin CA: one self-signed root per mesh and backend, and per dataplane a leaf carrying
 * its identity as URI SANs (`spiffe://<mesh>/<service>` per inbound service, `kuma://<tag>/<value>`
 * per tag value). Certificates are made with @peculiar/x509 on Node's WebCrypto (no hand-rolled
 * ASN.1); the TLS itself is node:tls. Private keys are PKCS#8 PEM and never leave this module's
 * callers on the control plane except inside an SDS Secret for the dataplane that owns them.
 */

type X509Key = X509.X509CertificateCreateSelfSignedParams['keys']['privateKey'];
type X509Keys = X509.X509CertificateCreateSelfSignedParams['keys'];
type X509Lib = typeof X509;

let x509Loading: Promise<X509Lib> | undefined;
/**
 * @peculiar/x509 (with tsyringe and reflect-metadata, about half a MB of code) is loaded when a
 * certificate is first made: only the control plane makes them; a dataplane reads them with
 * node:crypto (`summarizeCertificate`, `uriSans`) and never holds it.
 */
function loadX509(): Promise<X509Lib> {
  x509Loading ??= (async () => {
    // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // Node's webcrypto is the DOM Crypto at run time; its type differs by lib (DOM or not), so it is cast.
    x509.cryptoProvider.set(webcrypto as never);
    return x509;
  })();
  return x509Loading;
}

export interface CaMaterial {
  certPem: string;
  /** PKCS#8 PEM. Only the control plane holds it. */
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM of the leaf's own key (delivered to its dataplane only). */
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  sans: string[];
  serial: string;
}

const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/** Leaves use P-256: signing a handshake costs a fraction of RSA 2048, and the mesh CA (RSA, Kuma's RSAbits) still signs them. */
const LEAF_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** Leaves start a little in the past so clocks slightly behind the cp's accept them. */
const BACKDATE_MS = 60_000;

function serial(): string {
  // Positive 127-bit serial (RFC 5280: at most 20 octets, non-negative).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function pkcs8Pem(x509: X509Lib, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export interface CaOptions {
  mesh: string;
  backend: string;
  rsaBits: number;
  expirationMs: number;
  now?: Date;
}

/** A new self-signed mesh CA (Kuma's subject: O=Kuma, OU=Mesh, CN=<mesh>). */
export async function createBuiltinCa(o: CaOptions): Promise<CaMaterial> {
  const x509 = await loadX509();
  const alg = { ...RSA_SIGN, publicExponent: new Uint8Array([1, 0, 1]), modulusLength: o.rsaBits };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = o.now ?? new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ O: ['Kuma'] }, { OU: ['Mesh'] }, { CN: [o.mesh] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + o.expirationMs),
    keys: keys as unknown as X509Keys,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509Key),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${o.mesh}` }]),
    ],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: pkcs8Pem(x509, key) };
}

/** The identity of a dataplane as URI SANs, in Kuma's order: services first, then every tag value. */
export function identitySans(mesh: string, services: readonly string[], tags: Readonly<Record<string, readonly string[]>>): string[] {
  const out = [...new Set(services)].sort().map((s) => `spiffe://${mesh}/${s}`);
  for (const tag of Object.keys(tags).sort()) for (const v of [...new Set(tags[tag])].sort()) out.push(`kuma://${tag}/${v}`);
  return out;
}

export interface LeafOptions {
  mesh: string;
  services: readonly string[];
  tags: Readonly<Record<string, readonly string[]>>;
  expirationMs: number;
  now?: Date;
}

/** A P-256 leaf signed by `ca`: what differs between leaves is the subject, the key usages and the SANs. */
async function issueLeaf(
  ca: CaMaterial,
  o: { expirationMs: number; now?: Date; subject: X509.JsonName; keyUsages: number; extendedKeyUsages: string[]; altNames: X509.JsonGeneralNames; altNamesCritical: boolean },
): Promise<Omit<IssuedCertificate, 'sans'>> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.keyPem), RSA_SIGN, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(LEAF_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = o.now ?? new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + o.expirationMs);
  const sn = serial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: sn,
    subject: o.subject,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey as unknown as X509Key,
    signingKey: caKey as unknown as X509Key,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(o.keyUsages, true),
      new x509.ExtendedKeyUsageExtension(o.extendedKeyUsages),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      new x509.SubjectAlternativeNameExtension(o.altNames, o.altNamesCritical),
    ],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: pkcs8Pem(x509, key), notBefore, notAfter, serial: sn };
}

/** A dataplane's leaf certificate, signed by the mesh CA, for both ends of mTLS (serverAuth and clientAuth). */
export async function issueDataplaneCertificate(ca: CaMaterial, o: LeafOptions): Promise<IssuedCertificate> {
  const x509 = await loadX509();
  const sans = identitySans(o.mesh, o.services, o.tags);
  const leaf = await issueLeaf(ca, {
    expirationMs: o.expirationMs,
    now: o.now,
    subject: [{ O: ['Kuma'] }, { OU: ['Mesh'] }, { CN: [o.services[0] ?? o.mesh] }],
    keyUsages: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement,
    extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    altNames: sans.map((value) => ({ type: 'url' as const, value })),
    altNamesCritical: true,
  });
  return { ...leaf, sans };
}

export interface ServerCertificateOptions {
  /** Host names (DNS SANs) and addresses (IP SANs) clients reach the server by. */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  expirationMs: number;
  now?: Date;
}

/**
 * A TLS server certificate signed by `ca` (the control plane's own CA: each replica serves its
 * dataplane listeners with one for the names and addresses it is reached at; dataplanes pin the CA).
 */
export async function issueServerCertificate(ca: CaMaterial, o: ServerCertificateOptions): Promise<IssuedCertificate> {
  const x509 = await loadX509();
  const names = [...new Set(o.dnsNames)].map((value) => ({ type: 'dns' as const, value }));
  const ips = [...new Set(o.ipAddresses)].map((value) => ({ type: 'ip' as const, value }));
  const leaf = await issueLeaf(ca, {
    expirationMs: o.expirationMs,
    now: o.now,
    subject: [{ O: ['meshcap'] }, { CN: [o.dnsNames[0] ?? o.ipAddresses[0] ?? 'meshcap-cp'] }],
    keyUsages: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
    extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth],
    altNames: [...names, ...ips],
    altNamesCritical: false,
  });
  return { ...leaf, sans: [...names, ...ips].map((n) => n.value) };
}

/** Kuma rotates a dataplane certificate once 4/5 of its lifetime has passed. */
export function rotationTime(c: Pick<IssuedCertificate, 'notBefore' | 'notAfter'>): Date {
  const life = c.notAfter.getTime() - c.notBefore.getTime();
  return new Date(c.notBefore.getTime() + Math.floor((life * 4) / 5));
}

/** What the API and dashboard may show of a certificate (never a key). */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  sans: string[];
  fingerprint256: string;
}

export function summarizeCertificate(pem: string): CertificateSummary {
  const c = new NodeX509(pem);
  return {
    subject: c.subject.replaceAll('\n', ', '),
    issuer: c.issuer.replaceAll('\n', ', '),
    serial: c.serialNumber,
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    sans: uriSans(c.subjectAltName),
    fingerprint256: c.fingerprint256,
  };
}

/** The URI SANs of Node's `subjectaltname` text (`URI:spiffe://default/web, DNS:x`). */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(', ')
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}
