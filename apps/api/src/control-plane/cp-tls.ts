import { createBuiltinCa, issueServerCertificate, MeshcapError } from '@meshcap/core';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { Store } from '../store/index.ts';

/**
 * The control plane's TLS for what dataplanes reach over a network: the API (with the dataplane
 * channel) and the ADS server on a non-loopback address.
 *
 * Without `--tls-cert/--tls-key`, a CA for the control plane is made at the first start and kept
 * in the store (beside the mesh CAs, under mesh '' which no mesh can be named), so every replica
 * on one PostgreSQL has the same one; each replica then issues itself a server certificate for the
 * names and addresses it is reached at. A dataplane that pins that CA (`--ca-cert`, or fetched once
 * from `GET /api/control-plane/ca`) verifies every replica, which is what failover needs.
 */
export interface ControlPlaneTls {
  certPem: string;
  keyPem: string;
  /** What a dataplane must trust: the store's control plane CA, or the given certificate's chain. */
  caPem: string;
  origin: 'generated' | 'files';
  /** SHA-256 fingerprint of the CA, as a user compares it before pinning. */
  caFingerprint: string;
}

/** Where the generated CA is kept in the store's mesh CA table. */
export const CONTROL_PLANE_CA_KEY = { mesh: '', backend: 'meshcap-control-plane' } as const;

const CA_LIFETIME_MS = 10 * 365 * 24 * 3600_000;
const SERVER_LIFETIME_MS = 365 * 24 * 3600_000;

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function fingerprint(pem: string, what: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${what} is not a PEM certificate`);
  }
}

/** The addresses a server on `host` is reached at: that one, or every local one for 0.0.0.0 / ::. */
export function serverAddresses(host: string): string[] {
  const all = host === '0.0.0.0' || host === '::' || host === '';
  const out = new Set<string>(['127.0.0.1', '::1']);
  if (!all && isIP(host)) out.add(host);
  if (all) for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  return [...out];
}

export async function controlPlaneTls(store: Store, opts: { certFile?: string; keyFile?: string; hosts: readonly string[]; extraSans?: readonly string[] }): Promise<ControlPlaneTls> {
  if ((opts.certFile === undefined) !== (opts.keyFile === undefined)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', '--tls-cert and --tls-key go together: give both, or neither (a certificate is then issued from the control plane CA kept in the store)');
  }
  if (opts.certFile && opts.keyFile) {
    const certPem = readPem(opts.certFile, '--tls-cert');
    const keyPem = readPem(opts.keyFile, '--tls-key');
    // The last certificate of the chain file is what a dataplane pins (the issuer, when the chain holds it).
    const chain = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const caPem = `${chain[chain.length - 1] ?? ''}\n`;
    return { certPem, keyPem, caPem, origin: 'files', caFingerprint: fingerprint(caPem, `--tls-cert ${opts.certFile}`) };
  }
  let ca = await store.getMeshCa(CONTROL_PLANE_CA_KEY.mesh, CONTROL_PLANE_CA_KEY.backend);
  if (!ca) {
    const made = await createBuiltinCa({ mesh: 'meshcap-control-plane', backend: CONTROL_PLANE_CA_KEY.backend, rsaBits: 2048, expirationMs: CA_LIFETIME_MS });
    // Replicas starting together: the first one stored wins, and all use it.
    ca = await store.putMeshCaIfAbsent({ ...CONTROL_PLANE_CA_KEY, ...made });
  }
  const extra = opts.extraSans ?? [];
  const ips = [...opts.hosts.flatMap(serverAddresses), ...extra.filter((s) => isIP(s))];
  const dnsNames = ['localhost', hostname(), ...extra.filter((s) => !isIP(s))];
  const leaf = await issueServerCertificate(ca, { dnsNames, ipAddresses: ips, expirationMs: SERVER_LIFETIME_MS });
  return { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: `${ca.certPem.trim()}\n`, origin: 'generated', caFingerprint: fingerprint(ca.certPem, 'the control plane CA') };
}
