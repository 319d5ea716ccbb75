import { isMeshcapError, xdsResourcesOf, type XdsResourceSet } from '@meshcap/core';
import type { MeshCatalog } from '../catalog/index.ts';
import type { XdsClientIdentity } from './node-identity.ts';

/** What one xDS client should run now. The version changes exactly when the set does. */
export interface NodeSnapshot {
  version: string;
  set: XdsResourceSet;
}

/** The resources of a client; undefined while its Dataplane does not exist (it is sent nothing until it does). */
export type NodeResources = (client: XdsClientIdentity) => NodeSnapshot | undefined;

/**
 * The control plane's resources per client, from the policy compiler: a sidecar gets its
 * dataplane's listeners, clusters and endpoints (`xdsResourcesOf`, the same rendering as its
 * config dump), versioned by the compiled config's version.
 *
 * Proxyless gRPC clients (`dataplane.proxyType: proxyless`) get the resources gRPC reads
 * (api_listener per service): wired here when that rendering lands.
 */
export function catalogNodeResources(catalog: MeshCatalog): NodeResources {
  return (client) => {
    let compiled;
    try {
      compiled = catalog.compiler.compile(client.mesh, client.name);
    } catch (err) {
      if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_NOT_FOUND') return undefined;
      throw err;
    }
    return { version: compiled.version.versionInfo, set: xdsResourcesOf(compiled) };
  };
}
