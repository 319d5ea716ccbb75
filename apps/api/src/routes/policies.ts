import type { DataplanePolicies, InboundPolicy, OutboundPolicy } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { dataplaneParams, errorResponses, meshParams } from '../schemas/common.ts';
import {
  affectedDataplaneList,
  dataplanePolicies,
  meshPolicyList,
  policyParams,
  toggleBody,
  toggleParams,
  toggleResult,
} from '../schemas/policies.ts';
import type { ZodTypeProvider } from '../schemas/zod-provider.ts';
import type { policyAttachment } from '../schemas/policies.ts';

type Attachment = z.input<typeof policyAttachment>;

/** The compiled config, as the dashboard reads it: matched policies, and per inbound/outbound the effective conf with origins. */
export function policiesView(c: DataplanePolicies): z.input<typeof dataplanePolicies> {
  const inbound: Attachment[] = c.inbounds.map((ib) => ({
    direction: 'inbound',
    listener: ib.listener,
    service: ib.service,
    port: ib.port,
    protocol: ib.protocol,
    policies: Object.entries(ib.policies).map(([type, p]) => {
      const policy = p as InboundPolicy<unknown>;
      return { type, rules: policy.rules, origins: policy.origins };
    }),
  }));
  const outbound: Attachment[] = c.outbounds.map((ob) => ({
    direction: 'outbound',
    ...(ob.listener !== undefined ? { listener: ob.listener, port: ob.port } : {}),
    service: ob.service,
    protocol: ob.protocol,
    policies: Object.entries(ob.policies).map(([type, p]) => {
      const policy = p as OutboundPolicy<unknown>;
      const rules = policy.conf === undefined ? [] : [{ subset: [], conf: policy.conf, origins: policy.origins.filter((o) => o.enabled) }];
      return { type, rules, origins: policy.origins };
    }),
  }));
  return {
    mesh: c.mesh,
    dataplane: c.dataplane,
    configVersion: c.version.versionInfo,
    policies: c.matchedPolicies.map((m) => ({ ...m, where: [...m.inbounds, ...m.outbounds] })),
    attachments: [...inbound, ...outbound],
    warnings: c.warnings,
  };
}

export default async function policyRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<ZodTypeProvider>();

  fastify.get(
    '/api/meshes/:mesh/dataplanes/:name/policies',
    {
      schema: {
        summary: 'Matched policies of a dataplane: origins in merge order, effective conf, per-dataplane toggle, warnings',
        tags: ['policies'],
        params: dataplaneParams,
        response: { 200: dataplanePolicies, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { mesh, name } = request.params;
      fastify.catalog.requireDataplane(mesh, name);
      return policiesView(fastify.catalog.compiler.compile(mesh, name));
    },
  );

  fastify.put(
    '/api/meshes/:mesh/dataplanes/:name/policies/:type/:policy',
    {
      schema: {
        summary: 'Turn one policy on or off for this dataplane only',
        tags: ['policies'],
        params: toggleParams,
        body: toggleBody,
        response: { 200: toggleResult, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { mesh, name, type, policy } = request.params;
      await fastify.catalog.setToggle({ mesh, dataplane: name, policyType: type, policyName: policy, enabled: request.body.enabled });
      return {
        mesh,
        dataplane: name,
        type,
        name: policy,
        enabled: request.body.enabled,
        configVersion: fastify.catalog.compiler.compile(mesh, name).version.versionInfo,
      };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/policies',
    { schema: { summary: 'Policies of a mesh, with how many dataplanes each affects', tags: ['policies'], params: meshParams, response: { 200: meshPolicyList, ...errorResponses(400, 404) } } },
    async (request) => {
      const { mesh } = request.params;
      fastify.catalog.requireMesh(mesh);
      const items = fastify.catalog.policies(mesh).map((record) => {
        const affected = fastify.catalog.compiler.affectedDataplanes(mesh, record.type, record.name);
        const spec = (record.resource.spec ?? {}) as { targetRef?: { kind: string } };
        return {
          type: record.type,
          name: record.name,
          mesh,
          targetRef: spec.targetRef ?? { kind: 'Mesh' },
          spec: record.resource.spec,
          creationTime: record.createdAt,
          modificationTime: record.modifiedAt,
          dataplanes: { total: affected.length, disabled: affected.filter((a) => !a.enabled).length },
        };
      });
      return { total: items.length, items };
    },
  );

  fastify.get(
    '/api/meshes/:mesh/policies/:type/:name/dataplanes',
    { schema: { summary: 'The dataplanes a policy affects, and where (inbound listeners, outbound services)', tags: ['policies'], params: policyParams, response: { 200: affectedDataplaneList, ...errorResponses(400, 404) } } },
    async (request) => {
      const { mesh, type, name } = request.params;
      fastify.catalog.requirePolicy(mesh, type, name);
      const items = fastify.catalog.compiler.affectedDataplanes(mesh, type, name).map((a) => ({
        ...a,
        where: [
          ...a.inbounds.map((i) => ({ direction: 'inbound' as const, listener: i.listener })),
          ...a.outbounds.map((o) => ({ direction: 'outbound' as const, listener: o.listener ?? o.service })),
        ],
      }));
      return { total: items.length, items };
    },
  );
}
