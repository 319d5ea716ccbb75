/** Response shapes of the mTLS routes (apps/api/src/schemas/mtls.ts). Certificates only: the API never returns a key. */

export interface Certificate {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** URI SANs: `spiffe://<mesh>/<service>`, `kuma://<tag>/<value>`. */
  sans: string[];
  fingerprint256: string;
}

export type MtlsMode = 'STRICT' | 'PERMISSIVE';

/** `GET /api/meshes/:mesh/mtls`. */
export interface MeshMtls {
  mesh: string;
  enabled: boolean;
  mode?: MtlsMode;
  enabledBackend?: string;
  dpCertExpiration?: string;
  /** How permissions identify clients. */
  identity: 'certificate' | 'certificate-or-address' | 'address';
  cas: Array<{ backend: string; enabled: boolean; certificate: Certificate }>;
}

/** `GET /api/meshes/:mesh/dataplanes/:name/certificate`. */
export interface DataplaneCertificate {
  mesh: string;
  dataplane: string;
  backend: string;
  mode: MtlsMode;
  certificate: Certificate;
  nextRotation: string;
}
