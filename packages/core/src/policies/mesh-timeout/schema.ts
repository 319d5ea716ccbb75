import { z } from 'zod';
import { durationSchema, policyKind, positiveDuration, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshTimeout (kumahq/kuma pkg/plugins/policies/meshtimeout). `0s` disables a timeout, except
 * `connectionTimeout`, which cannot be 0. HTTP timeouts apply only where the protocol is http.
 */
export const meshTimeoutConf = z.strictObject({
  /** How long to wait for the TCP connection to the upstream. */
  connectionTimeout: positiveDuration().optional(),
  /** No bytes either way for this long closes the connection (HTTP: no active streams). */
  idleTimeout: durationSchema.optional(),
  http: z
    .strictObject({
      /** From the whole request being received to the whole response being sent; on expiry 504. */
      requestTimeout: durationSchema.optional(),
      streamIdleTimeout: durationSchema.optional(),
      maxStreamDuration: durationSchema.optional(),
      maxConnectionDuration: durationSchema.optional(),
      requestHeadersTimeout: durationSchema.optional(),
    })
    .optional(),
});
export type MeshTimeoutConf = z.output<typeof meshTimeoutConf>;

/** Kuma's sidecar defaults when no MeshTimeout sets a value (Kuma docs, "Mesh Timeout › Defaults"). */
export const MESH_TIMEOUT_SIDECAR_DEFAULTS = {
  connectionTimeout: '5s',
  idleTimeout: '1h',
  http: { requestTimeout: '15s', streamIdleTimeout: '30m', maxStreamDuration: '0s', maxConnectionDuration: '0s', requestHeadersTimeout: '0s' },
} as const satisfies MeshTimeoutConf;

export const meshTimeoutSchema = policyKind({ type: 'MeshTimeout', conf: meshTimeoutConf, from: ['Mesh'], to: ['Mesh', 'MeshService'] });
export type MeshTimeout = PolicyResourceOf<'MeshTimeout', MeshTimeoutConf>;
