// The dataplane engine: listeners, original destination, TCP relay, HTTP/1.1 filter chain, admin.
export {
  startDataplane,
  DEFAULT_ADMIN_ADDRESS,
  DEFAULT_ADMIN_PORT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DRAIN_MS,
  DEFAULT_TPROXY_MARK,
  DEFAULT_IDLE_TIMEOUT_MS,
  type DataplaneHandle,
  type DataplaneOptions,
  type EngineLog,
  type XdsStart,
} from './engine.ts';
export { bootstrapError, engineConfigFromXds, loadEnvoyBootstrap, type EnvoyBootstrap, type XdsEngineConfig, type XdsEngineOptions } from './xds-config/index.ts';
export {
  compileProxyConfig,
  serviceDirectory,
  statName,
  type ClusterConfig,
  type CompileOptions,
  type UpstreamEndpoint,
  type ListenerConfig,
  type ListenerProtocol,
  type ProxyConfig,
  type ServiceDirectory,
  type ServiceInfo,
} from './config.ts';
export {
  HTTP_PASS_ORDER,
  TCP_PASS_ORDER,
  type HttpExchangeContext,
  type HttpPass,
  type HttpPassSlot,
  type HttpRetryPolicy,
  type HttpRoute,
  type ListenerPasses,
  type LocalReply,
  type PolicyPasses,
  type ActingPolicy,
  type TcpConnectionContext,
  type TcpPass,
  type TcpPassSlot,
} from './chain.ts';
export type { AdminServer, ClusterStatus, ConfigDumpProvider, ListenerStatus } from './admin.ts';
export { nativeRelay, streamRelay, tcpRelays, type RelayHandle, type RelayOptions, type RelayResult, type TcpRelay } from './relay.ts';
export { sumStatSnapshots, type StatSnapshot, type StatValue, type WorkerStats } from './stats.ts';
export type { RequestHead, ResponseHead } from './http/head.ts';
export { PROXY_UID, PROXY_GID, proxyUserCommand, proxyUserChildEnv, exitWithProxyUserParent, needsProxyUser } from './proxy-user.ts';
export { loadDataplaneFile, runDataplaneProcess, type DataplaneFile, type RunningDataplane } from './standalone.ts';
