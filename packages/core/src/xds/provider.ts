import type { DataplanePolicies } from '../policy/index.ts';
import { compileProxyConfig } from '../proxy/config.ts';
import { serviceDirectoryOf } from '../proxy/policies/policy-passes.ts';
import { buildConfigDump, configDumpOfResources } from './config-dump.ts';
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
  return rendered(policies, options).set;
}

interface Rendered {
  set: XdsResourceSet;
  /** The dataplane's own service (the bootstrap node's `cluster`). */
  localService: string | undefined;
}

/**
 * One rendering per compiled version: the compiler hands out the same object until the version
 * changes, so the ADS server and the control plane's config dump history share it (rendering 1000
 * dataplanes twice per change is what a mesh-wide apply would otherwise cost). Frozen, so that no
 * caller can change what the other one sends or shows.
 */
const renderings = new WeakMap<DataplanePolicies, Rendered>();

function rendered(policies: DataplanePolicies, options: RenderOptions): Rendered {
  const plain = Object.keys(options).length === 0;
  const hit = plain ? renderings.get(policies) : undefined;
  if (hit) return hit;
  const r = renderDataplane(proxyConfigOf(policies), policies, { endpoints: 'eds', ...options });
  const set: XdsResourceSet = Object.freeze({
    listeners: Object.freeze(r.built.map((b) => b.listener)),
    routes: Object.freeze(r.ctx.routes === 'rds' ? r.built.flatMap((b) => b.routeConfigs) : []),
    clusters: Object.freeze(r.clusters),
    endpoints: Object.freeze(r.endpoints),
  }) as XdsResourceSet;
  const out = { set, localService: r.localService };
  if (plain) renderings.set(policies, out);
  return out;
}

/**
 * The dump of exactly the resources the ADS server sends for a compiled config (`xdsResourcesOf`),
 * stamped against `previous`: what the control plane records and shows for a dataplane.
 */
export function sentConfigDumpOf(policies: DataplanePolicies, previous?: EnvoyConfigDump): EnvoyConfigDump {
  const { set, localService } = rendered(policies, {});
  return configDumpOfResources({
    resources: set,
    version: policies.version.versionInfo,
    node: { id: `${policies.mesh}.${policies.dataplane}`, cluster: localService },
    updatedAt: policies.version.updatedAt,
    previous,
  });
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
