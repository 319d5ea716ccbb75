import { MeshcapError, meshMtlsOf, type Mesh } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { dataplaneParams, errorResponses, meshParams } from '../schemas/common.ts';
import { dataplaneCertificate, meshMtls } from '../schemas/mtls.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

/** A mesh's mTLS (mode, CAs) and a dataplane's certificate. Certificates only: no key is ever in a response. */
export default async function mtlsRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  fastify.get(
    '/api/meshes/:mesh/mtls',
    { schema: { summary: "A mesh's mTLS: mode, identity used by permissions, builtin CAs", tags: ['meshes'], params: meshParams, response: { 200: meshMtls, ...errorResponses(400, 404) } } },
    async (request) => {
      const mesh = request.params.mesh;
      const m = meshMtlsOf(fastify.catalog.requireMesh(mesh).resource as Mesh);
      if (!m) return { mesh, enabled: false, identity: 'address' as const, cas: [] };
      const cas = await fastify.meshIdentities.casOf(mesh, m);
      return {
        mesh,
        enabled: true,
        mode: m.mode,
        enabledBackend: m.backend,
        dpCertExpiration: m.dpCertExpiration,
        identity: m.mode === 'STRICT' ? ('certificate' as const) : ('certificate-or-address' as const),
        cas: cas.map((c) => ({ backend: c.backend, enabled: c.enabled, certificate: c.certificate })),
      };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/certificate',
    { schema: { summary: "A dataplane's mTLS certificate (SANs, not-after, next rotation)", tags: ['dataplanes'], params: dataplaneParams, response: { 200: dataplaneCertificate, ...errorResponses(400, 404, 503) } } },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      const c = fastify.meshIdentities.certificateOf(mesh, name);
      if (!c) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `dataplane ${mesh}/${name} has no mTLS certificate (mTLS is off in its mesh, or it has not connected yet)`);
      return c;
    },
  );
}
