import { createHash } from 'node:crypto';
import { inboundPoliciesFrom, isMeshcapError, proxylessResourcesOf, xdsResourcesOf, type DataplanePolicies, type XdsResourceSet } from '@meshcap/core';
import type { MeshCatalog } from '../catalog/index.ts';
import type { MeshIdentities } from '../mtls/mesh-identities.ts';
import type { XdsClientIdentity } from './node-identity.ts';

/** What one xDS client should run now. The version changes exactly when the set does. */
export interface NodeSnapshot {
  version: string;
  set: XdsResourceSet;
}

/** The resources of a client; undefined while its Dataplane does not exist (it is sent nothing until it does). */
export type NodeResources = (client: XdsClientIdentity) => NodeSnapshot | undefined;

/**
 * A proxyless client's resources come from other dataplanes too (its services' endpoints and
 * `from` policies), which its own compiled version does not follow: its version is the content's.
 */
function contentVersion(set: XdsResourceSet): string {
  return `proxyless-${createHash('sha256').update(JSON.stringify(set)).digest('hex').slice(0, 12)}`;
}

/**
 * The control plane's resources per client, from the policy compiler: a sidecar gets its
 * dataplane's listeners, clusters and endpoints (`xdsResourcesOf`, the same rendering as its
 * config dump), versioned by the compiled config's version. A proxyless gRPC client
 * (`dataplane.proxyType: proxyless`) gets what gRPC reads (`proxylessResourcesOf`: a Listener
 * with an api_listener per outbound service, its route, EDS cluster and endpoints, with the
 * services' MeshFaultInjection for this client), versioned by content.
 */
export function catalogNodeResources(catalog: MeshCatalog, identities?: MeshIdentities): NodeResources {
  return (client) => {
    let compiled: DataplanePolicies;
    try {
      compiled = catalog.compiler.compile(client.mesh, client.name);
    } catch (err) {
      if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_NOT_FOUND') return undefined;
      throw err;
    }
    if (client.proxyType === 'proxyless') {
      const set = proxylessResourcesOf(compiled, inboundPoliciesFrom((mesh, name) => catalog.compiler.compile(mesh, name), client.mesh));
      return { version: contentVersion(set), set };
    }
    if (!compiled.mtls) return { version: compiled.version.versionInfo, set: xdsResourcesOf(compiled) };
    // mTLS: the dataplane's SDS secrets come with its listeners and clusters; none yet, nothing new is sent (Envoy would keep warming).
    const tls = identities?.secretsFor(compiled);
    if (!tls) return undefined;
    return { version: withSecretsVersion(compiled.version.versionInfo, tls.version), set: { ...xdsResourcesOf(compiled), secrets: tls.secrets } };
  };
}

/** With mTLS a dataplane ACKs the policy version followed by its certificates' version (they rotate on their own). */
function withSecretsVersion(policyVersion: string, secretsVersion: string): string {
  return `${policyVersion}-${secretsVersion}`;
}

/** Whether a version a dataplane ACKed is this policy version, with or without its certificates' part. */
export function isAckOfPolicyVersion(acked: string | null, policyVersion: string): boolean {
  return acked !== null && (acked === policyVersion || acked.startsWith(withSecretsVersion(policyVersion, '')));
}
