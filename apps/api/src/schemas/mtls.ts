import { z } from 'zod';

const certificate = z
  .object({
    subject: z.string(),
    issuer: z.string(),
    serial: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    /** URI SANs: `spiffe://<mesh>/<service>`, `kuma://<tag>/<value>`. */
    sans: z.array(z.string()),
    fingerprint256: z.string(),
  })
  .meta({ id: 'Certificate', description: 'An X.509 certificate as shown (never a key)' });

export const meshMtls = z
  .object({
    mesh: z.string(),
    enabled: z.boolean(),
    mode: z.enum(['STRICT', 'PERMISSIVE']).optional(),
    enabledBackend: z.string().optional(),
    dpCertExpiration: z.string().optional(),
    /** How MeshTrafficPermission identifies clients: by certificate (STRICT), by certificate or else source address (PERMISSIVE), by source address (off). */
    identity: z.enum(['certificate', 'certificate-or-address', 'address']),
    /** The CA of each builtin backend (the trust bundle during a rotation carries all). */
    cas: z.array(z.object({ backend: z.string(), enabled: z.boolean(), certificate })),
  })
  .meta({ id: 'MeshMtls' });

export const dataplaneCertificate = z
  .object({
    mesh: z.string(),
    dataplane: z.string(),
    backend: z.string(),
    mode: z.enum(['STRICT', 'PERMISSIVE']),
    certificate,
    nextRotation: z.string(),
  })
  .meta({ id: 'DataplaneCertificate' });
