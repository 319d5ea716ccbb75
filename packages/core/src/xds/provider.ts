import type { DataplanePolicies } from '../policy/index.ts';
import { compileProxyConfig } from '../proxy/config.ts';
import { serviceDirectoryOf } from '../proxy/policies/policy-passes.ts';
import { buildConfigDump } from './config-dump.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';
import { ConfigDumpHistory } from './history.ts';
import type { ConfigDumpInput, XdsProxyConfig } from './input.ts';
import { queryConfigDump, type ConfigDumpParams } from './query.ts';
import type { XdsResourceSet } from './resource-set.ts';
import { renderDataplane, type RenderOptions } from './resources.ts';

/**
 * Wiring for the two places that serve `/config_dump`: the dataplane admin (which knows the proxy
 * config it runs) and the control plane (which has the compiled policies and builds the same proxy
 * config from them).
 */

/**
 * The proxy config a dataplane runs for a compiled config: its Dataplane resource, with the
 * endpoints of the services it reaches as the compiled config lists them.
 */
export function proxyConfigOf(policies: DataplanePolicies): XdsProxyConfig {
  return compileProxyConfig(policies.resource, { version: policies.version.versionInfo, services: serviceDirectoryOf(policies) });
}

/**
 * What the ADS server sends a dataplane for a compiled config: the same rendering as its config
 * dump, with mesh services' endpoints served apart under EDS (as Kuma serves them) unless
 * `endpoints: 'static'`, and route configurations inline unless `routes: 'rds'`.
 */
export function xdsResourcesOf(policies: DataplanePolicies, options: RenderOptions = {}): XdsResourceSet {
  const r = renderDataplane(proxyConfigOf(policies), policies, { endpoints: 'eds', ...options });
  return {
    listeners: r.built.map((b) => b.listener),
    routes: r.ctx.routes === 'rds' ? r.built.flatMap((b) => b.routeConfigs) : [],
    clusters: r.clusters,
    endpoints: r.endpoints,
  };
}

/** The dump of a compiled config, as the control plane shows it for a dataplane. */
export function configDumpOf(policies: DataplanePolicies, options: Omit<ConfigDumpInput, 'config' | 'policies'> = {}): EnvoyConfigDump {
  return buildConfigDump({ ...options, config: proxyConfigOf(policies), policies });
}

/**
 * A `/config_dump` handler: builds the dump of what `current()` returns against the newest one in
 * `history` (so resources that did not change keep their stamps, and each new version is kept),
 * then applies Envoy's query parameters. Rejects with MeshcapError (`status` 400 or 404) on bad
 * parameters.
 */
export function configDumpProvider(
  current: () => Omit<ConfigDumpInput, 'previous'>,
  history: ConfigDumpHistory = new ConfigDumpHistory(),
): (query?: ConfigDumpParams) => Promise<EnvoyConfigDump> {
  return async (query) => {
    const input = current();
    const record = history.buildAndRecord(`${input.config.mesh}/${input.config.dataplane}`, input);
    return queryConfigDump(record.dump, query);
  };
}
