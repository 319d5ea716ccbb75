import { z } from 'zod';
import { resourceName } from './common.ts';
import { parseKumaDuration } from '../mtls/duration.ts';

/** A Kuma duration (`24h`, `10y`), kept as written. */
const kumaDuration = z.string({ error: 'must be a duration such as "24h" or "10y"' }).refine((s) => parseKumaDuration(s) !== undefined, 'must be a positive duration such as "24h", "1h30m", "1d" or "10y"');

/** Kuma's defaults (kumahq/kuma mesh.proto, builtin CA): RSA 2048, CA valid 10 years, dataplane certs 24 h, STRICT. */
export const MTLS_DEFAULTS = Object.freeze({ rsaBits: 2048, caExpiration: '10y', dpCertExpiration: '24h', mode: 'STRICT' as const });

const builtinConf = z.strictObject({
  caCert: z
    .strictObject({
      RSAbits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)], { error: 'must be 2048, 3072 or 4096' }).optional(),
      expiration: kumaDuration.optional(),
    })
    .optional(),
});

export const mtlsBackendSchema = z.looseObject({
  name: resourceName,
  type: z.literal('builtin', { error: 'must be "builtin" (the only CA backend meshcap has)' }),
  mode: z.enum(['STRICT', 'PERMISSIVE'], { error: 'must be STRICT or PERMISSIVE' }).optional(),
  dpCert: z.strictObject({ rotation: z.strictObject({ expiration: kumaDuration.optional() }).optional(), requestTimeout: z.string().optional() }).optional(),
  conf: builtinConf.optional(),
});
export type MtlsBackend = z.infer<typeof mtlsBackendSchema>;

export const meshMtlsSchema = z
  .looseObject({
    enabledBackend: z.string().optional(),
    backends: z.array(mtlsBackendSchema).optional(),
    skipValidation: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    const names = (m.backends ?? []).map((b) => b.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `backend "${n}" is defined twice` });
    });
    if (m.enabledBackend !== undefined && m.enabledBackend !== '' && !names.includes(m.enabledBackend)) {
      ctx.addIssue({ code: 'custom', path: ['enabledBackend'], message: `"${m.enabledBackend}" is not among the backends (${names.join(', ') || 'none'})` });
    }
  });

export const meshSchema = z.looseObject({
  type: z.literal('Mesh'),
  name: resourceName,
  labels: z.record(z.string(), z.string()).optional(),
  creationTime: z.string().optional(),
  modificationTime: z.string().optional(),
  /** Kuma's mTLS: a builtin CA per mesh; `enabledBackend` set turns it on. */
  mtls: meshMtlsSchema.optional(),
  networking: z.looseObject({}).optional(),
});

export type Mesh = z.infer<typeof meshSchema>;

/** The mesh's mTLS as the control plane applies it, with Kuma's defaults filled in; undefined when off. */
export interface MeshMtls {
  backend: string;
  mode: 'STRICT' | 'PERMISSIVE';
  rsaBits: number;
  caExpiration: string;
  dpCertExpiration: string;
  /** Every builtin backend: during a CA rotation the trust bundle carries all of them. */
  backends: string[];
}

export function meshMtlsOf(mesh: Pick<Mesh, 'mtls'> | undefined): MeshMtls | undefined {
  const m = mesh?.mtls;
  if (!m?.enabledBackend) return undefined;
  const b = m.backends?.find((x) => x.name === m.enabledBackend);
  if (!b) return undefined;
  return {
    backend: b.name,
    mode: b.mode ?? MTLS_DEFAULTS.mode,
    rsaBits: b.conf?.caCert?.RSAbits ?? MTLS_DEFAULTS.rsaBits,
    caExpiration: b.conf?.caCert?.expiration ?? MTLS_DEFAULTS.caExpiration,
    dpCertExpiration: b.dpCert?.rotation?.expiration ?? MTLS_DEFAULTS.dpCertExpiration,
    backends: (m.backends ?? []).map((x) => x.name),
  };
}
