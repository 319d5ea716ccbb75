import { parseResources, type Dataplane, type XdsNode } from '@meshcap/core';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import type { DataplaneIdentity, DataplaneTokens } from '../auth/index.ts';
import type { MeshCatalog } from '../catalog/index.ts';
import { checkTokenTags, registerDataplane, RegistrationRefused } from '../catalog/dataplane-registration.ts';

/** Who is on an ADS stream: the dataplane its token proves, and what kind of client it is. */
export interface XdsClientIdentity extends DataplaneIdentity {
  /** `sidecar`: `meshcap dp` or Envoy in front of a workload; `proxyless`: a gRPC client resolving `xds:///…` itself. */
  proxyType: 'sidecar' | 'proxyless';
}

/** Node metadata keys, as kuma-dp sends them (`dataplane.token`, `dataplane.resource`, `dataplane.proxyType`). */
export const NODE_METADATA = {
  token: 'dataplane.token',
  resource: 'dataplane.resource',
  proxyType: 'dataplane.proxyType',
} as const;

/** A refused stream: the gRPC status it ends with, and why. */
export class XdsRefusal extends Error {
  constructor(
    readonly grpcCode: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The dataplane token of a stream: the `authorization` call metadata (Envoy's file_based_metadata
 * call credentials send the raw token, as Kuma's bootstrap configures; `Bearer <token>` is taken
 * too), else the node metadata's `dataplane.token`.
 */
function tokenOf(metadata: Metadata, node: XdsNode): string | undefined {
  const header = metadata.get('authorization')[0];
  const raw = typeof header === 'string' ? header : header?.toString('utf8');
  const fromHeader = raw?.trim().replace(/^Bearer\s+/i, '');
  if (fromHeader) return fromHeader;
  const fromNode = node.metadata?.[NODE_METADATA.token];
  return typeof fromNode === 'string' && fromNode.trim() ? fromNode.trim() : undefined;
}

/** `dataplane.resource`: the Dataplane as YAML or JSON text (kuma-dp), or as a Struct. */
function resourceOf(node: XdsNode): Record<string, unknown> | undefined {
  const value = node.metadata?.[NODE_METADATA.resource];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value !== 'string') throw new XdsRefusal(GrpcStatus.INVALID_ARGUMENT, `node metadata ${NODE_METADATA.resource} must be the Dataplane resource (YAML or JSON text, or an object)`);
  let docs;
  try {
    docs = parseResources(value, { source: NODE_METADATA.resource });
  } catch (err) {
    throw new XdsRefusal(GrpcStatus.INVALID_ARGUMENT, `node metadata ${NODE_METADATA.resource}: ${(err as Error).message}`);
  }
  if (docs.length !== 1) throw new XdsRefusal(GrpcStatus.INVALID_ARGUMENT, `node metadata ${NODE_METADATA.resource} must hold one Dataplane, not ${docs.length} resources`);
  return docs[0] as unknown as Record<string, unknown>;
}

/**
 * Checks the first request's node: a valid dataplane token whose dataplane is `node.id`
 * (`<mesh>.<name>`, as Kuma names Envoy nodes), then registers `dataplane.resource` if it sent one.
 * Throws XdsRefusal (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT).
 */
export async function identifyNode(node: XdsNode | undefined, metadata: Metadata, deps: { tokens: DataplaneTokens; catalog: MeshCatalog }): Promise<XdsClientIdentity> {
  if (!node?.id) throw new XdsRefusal(GrpcStatus.INVALID_ARGUMENT, 'the first DiscoveryRequest must carry node.id ("<mesh>.<dataplane name>")');
  const token = tokenOf(metadata, node);
  if (!token) {
    throw new XdsRefusal(GrpcStatus.UNAUTHENTICATED, `a dataplane token is required: the "authorization" call metadata or node metadata "${NODE_METADATA.token}" (meshcap generate dataplane-token)`);
  }
  const identity = await deps.tokens.verify(token).catch(() => undefined);
  if (!identity) throw new XdsRefusal(GrpcStatus.UNAUTHENTICATED, 'the dataplane token is not valid (unknown, revoked or malformed)');
  if (node.id !== `${identity.mesh}.${identity.name}`) {
    throw new XdsRefusal(
      GrpcStatus.PERMISSION_DENIED,
      `this token is for dataplane "${identity.name}" in mesh "${identity.mesh}" (node.id "${identity.mesh}.${identity.name}"); it cannot subscribe as node "${node.id}"`,
    );
  }
  const proxyType = node.metadata?.[NODE_METADATA.proxyType] === 'proxyless' ? 'proxyless' : 'sidecar';
  const resource = resourceOf(node);
  const stored = deps.catalog.get({ type: 'Dataplane', mesh: identity.mesh, name: identity.name });
  if (!resource && stored) {
    try {
      checkTokenTags(identity, stored.resource as Dataplane);
    } catch (err) {
      if (err instanceof RegistrationRefused) throw new XdsRefusal(GrpcStatus.PERMISSION_DENIED, err.message);
      throw err;
    }
  }
  if (resource) {
    try {
      await registerDataplane(deps.catalog, identity, resource, NODE_METADATA.resource);
    } catch (err) {
      if (err instanceof RegistrationRefused) {
        throw new XdsRefusal(err.code === 'MESHCAP_ERR_FORBIDDEN' ? GrpcStatus.PERMISSION_DENIED : GrpcStatus.INVALID_ARGUMENT, err.message);
      }
      throw err;
    }
  }
  return { ...identity, proxyType };
}
