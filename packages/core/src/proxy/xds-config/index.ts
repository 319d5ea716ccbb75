// The dataplane's side of xDS: the engine's listeners, clusters and policy passes from received Envoy resources.
export { engineConfigFromXds, type XdsEngineConfig, type XdsEngineOptions } from './engine-config.ts';
export { bootstrapError, loadEnvoyBootstrap, type EnvoyBootstrap } from './bootstrap.ts';
