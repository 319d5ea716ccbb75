/**
 * Response shapes of the mTLS routes (apps/api/src/schemas/mtls.ts), from the generated
 * lib/api-types.ts. Certificates only: the API never returns a key.
 */
import type { MeshMtls } from '../../../lib/api-types.ts';

export type {
  Certificate,
  /** `GET /api/meshes/:mesh/mtls`. */
  MeshMtls,
  /** `GET /api/meshes/:mesh/dataplanes/:name/certificate`. */
  DataplaneCertificate,
} from '../../../lib/api-types.ts';

export type MtlsMode = NonNullable<MeshMtls['mode']>;
