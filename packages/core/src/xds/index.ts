// Envoy v3 admin config_dump of a dataplane's effective config: build, query (Envoy's admin
// parameters), history and diffs, and a strict check of Envoy JSON against Envoy's own protos.
export { buildConfigDump, configDumpOfResources, configDumpVersion, resourcesOfConfigDump, type ResourceDumpInput, findConfig, DEFAULT_ADMIN as DEFAULT_CONFIG_DUMP_ADMIN } from './config-dump.ts';
export type { ConfigDumpInput, XdsCluster, XdsEndpoint, XdsListener, XdsProxyConfig } from './input.ts';
export { ENVOY_FILTERS, ENVOY_TYPES, formatEnvoyJson, typeUrl, type EnvoyAny, type EnvoyConfigDump, type EnvoyMessage } from './envoy-json.ts';
export { DEFAULT_RETRY_METHODS, DEFAULT_RETRY_ON } from '../policies/mesh-retry/envoy.ts';
export { inboundPoliciesFrom, proxylessResourceName, proxylessResourcesOf, PROXY_TYPE_METADATA, PROXYLESS_PROXY_TYPE, type InboundPoliciesOf } from './proxyless.ts';
export { DEFAULT_XDS_ADDRESS, envoyBootstrap, grpcBootstrap, parseXdsAddress, TOKEN_METADATA, xdsNodeId, type BootstrapOptions, type XdsAddress } from './bootstrap.ts';
export { queryConfigDump, parseConfigDumpQuery, endpointsConfigDump, type ConfigDumpParams, type ConfigDumpQuery } from './query.ts';
export { ConfigDumpHistory, DEFAULT_CONFIG_DUMP_HISTORY, type ConfigDumpHistoryOptions, type ConfigDumpRecord } from './history.ts';
export { diffConfigDumps, type ConfigDumpChange, type ConfigDumpDiff, type DiffOptions, type PathSegment } from './diff.ts';
export { unifiedDiff, type UnifiedDiffOptions } from './line-diff.ts';
export { ENVOY_PROTO_FILES, ENVOY_PROTOS_JSON_ENV, envoyProtosDescriptor, loadEnvoyProtos, type EnvoyProtos } from './envoy-protos.ts';
export { configDumpOf, configDumpProvider, proxyConfigOf, sentConfigDumpOf, xdsResourcesOf } from './provider.ts';
export { ADS_CONFIG_SOURCE, POLICIES_METADATA, type RenderOptions } from './resources.ts';
export { EMPTY_RESOURCE_SET, type XdsResourceSet } from './resource-set.ts';
export { loadProtoJsonCodec, protoJsonCodec, type BinaryAny, type EnvoyProtoJsonCodec } from './proto-json.ts';
export {
  ADS_METHOD_PATH,
  ADS_SERVICE,
  adsMethodDefinition,
  DEFAULT_XDS_PORT,
  encodeAnyMessage,
  encodeDiscoveryResponse,
  decodeDiscoveryResponse,
  type ReceivedDiscoveryResponse,
  type EncodedDiscoveryResponse,
  isWildcardType,
  isXdsType,
  resourceSetField,
  XDS_PUSH_ORDER,
  XDS_TYPE_NAMES,
  XDS_TYPES,
  xdsResourceName,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsNode,
  type XdsTypeUrl,
} from './ads-protocol.ts';
export { AdsClient, edsNamesOf, rdsNamesOf, type AdsClientOptions, type AdsClientStats } from './ads-client.ts';
