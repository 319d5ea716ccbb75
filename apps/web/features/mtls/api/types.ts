/**
 * Response shapes of the mTLS routes (apps/api/src/schemas/mtls.ts), from the generated
 * lib/api-types.ts. Certificates only: the API never returns a key.
 */
import type { components } from '../../../lib/api-types.ts';

type Schemas = components['schemas'];

export type Certificate = Schemas['Certificate'];
/** `GET /api/meshes/:mesh/mtls`. */
export type MeshMtls = Schemas['MeshMtls'];
export type MtlsMode = NonNullable<MeshMtls['mode']>;
/** `GET /api/meshes/:mesh/dataplanes/:name/certificate`. */
export type DataplaneCertificate = Schemas['DataplaneCertificate'];
