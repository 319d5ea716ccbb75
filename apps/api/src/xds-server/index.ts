// The control plane's ADS server: Envoy v3 resources per dataplane over gRPC (state of the world).
export { AdsServer, DEFAULT_XDS_PORT, type AdsServerDeps } from './ads-server.ts';
export type { AdsCounters } from './ads-stream.ts';
export { NODE_METADATA, type XdsClientIdentity } from './node-identity.ts';
export { catalogNodeResources, type NodeResources, type NodeSnapshot } from './node-resources.ts';
