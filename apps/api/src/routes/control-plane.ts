import { MeshcapError } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';

/**
 * The CA a dataplane pins to verify this control plane (and its replicas) over TLS. Public: it is
 * a certificate, and a dataplane fetching it has no trust yet — it pins what it got the first time
 * (`meshcap dp` without --ca-cert) and the user may compare the fingerprint the cp prints.
 */
export default async function controlPlaneRoutes(app: FastifyInstance, opts: { caPem?: string }) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();
  fastify.get(
    '/api/control-plane/ca',
    { schema: { summary: 'The CA (PEM) that signs the control plane’s TLS certificates, for dataplanes to pin', tags: ['system'], response: { 200: z.string() } } },
    async (_request, reply) => {
      if (!opts.caPem) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', 'this control plane serves no TLS (it listens on loopback and Unix sockets only)');
      return reply.type('application/x-pem-file').send(opts.caPem);
    },
  );
}
