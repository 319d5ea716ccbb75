import { redactSecret } from '../mtls/envoy.ts';
import { createHash } from 'node:crypto';
import { MeshcapError } from '../errors.ts';
import { compact, ENVOY_TYPES, packAny, socketAddress, typeNameOf, type EnvoyAny, type EnvoyConfigDump, type EnvoyMessage } from './envoy-json.ts';
import type { ConfigDumpInput, XdsEndpoint } from './input.ts';
import type { XdsResourceSet } from './resource-set.ts';
import { renderDataplane } from './resources.ts';

/**
 * The whole `/config_dump` of a dataplane: BootstrapConfigDump, ClustersConfigDump,
 * ListenersConfigDump, ScopedRoutesConfigDump, RoutesConfigDump and SecretsConfigDump, in the order
 * Envoy's admin lists them.
 */

export const DEFAULT_ADMIN = { address: '127.0.0.1', port: 9901 } as const;

function isoTime(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `updatedAt ${JSON.stringify(String(t))} is not a valid time`);
  return d.toISOString();
}

/** The config of `@type` `name` in a dump, if present. */
export function findConfig(dump: EnvoyConfigDump | undefined, fullName: string): EnvoyAny | undefined {
  return dump?.configs?.find((c) => typeNameOf(c['@type']) === fullName);
}

interface Stamp {
  json: string;
  version_info?: string;
  last_updated?: string;
}

/** What the previous dump said about each resource, to keep the stamps of those that did not change. */
function previousStamps(previous: EnvoyConfigDump | undefined): {
  listeners: Map<string, Stamp>;
  clusters: Map<string, Stamp>;
  routes: Map<string, Stamp>;
  endpoints: Map<string, Stamp>;
  bootstrap?: Stamp;
} {
  const listeners = new Map<string, Stamp>();
  const clusters = new Map<string, Stamp>();
  const routes = new Map<string, Stamp>();
  const endpoints = new Map<string, Stamp>();
  const asList = (v: unknown): EnvoyMessage[] => (Array.isArray(v) ? (v as EnvoyMessage[]) : []);
  for (const d of asList(findConfig(previous, ENVOY_TYPES.listenersDump)?.['dynamic_listeners'])) {
    const s = d['active_state'] as EnvoyMessage | undefined;
    if (s) listeners.set(String(d['name']), { json: JSON.stringify(s['listener']), version_info: s['version_info'] as string, last_updated: s['last_updated'] as string });
  }
  for (const d of asList(findConfig(previous, ENVOY_TYPES.clustersDump)?.['dynamic_active_clusters'])) {
    const c = d['cluster'] as EnvoyMessage | undefined;
    if (c) clusters.set(String(c['name']), { json: JSON.stringify(c), version_info: d['version_info'] as string, last_updated: d['last_updated'] as string });
  }
  // Only separately served (RDS) route configurations have stamps of their own.
  for (const d of asList(findConfig(previous, ENVOY_TYPES.routesDump)?.['dynamic_route_configs'])) {
    const r = d['route_config'] as EnvoyMessage | undefined;
    if (r) routes.set(String(r['name']), { json: JSON.stringify(r), version_info: d['version_info'] as string, last_updated: d['last_updated'] as string });
  }
  for (const d of asList(findConfig(previous, ENVOY_TYPES.endpointsDump)?.['dynamic_endpoint_configs'])) {
    const e = d['endpoint_config'] as EnvoyMessage | undefined;
    if (e) endpoints.set(String(e['cluster_name']), { json: JSON.stringify(e), version_info: d['version_info'] as string, last_updated: d['last_updated'] as string });
  }
  const b = findConfig(previous, ENVOY_TYPES.bootstrapDump);
  return { listeners, clusters, routes, endpoints, bootstrap: b && { json: JSON.stringify(b['bootstrap']), last_updated: b['last_updated'] as string } };
}

/** Stamps for a resource: the old ones when its content is unchanged, else this version's. */
function stamp(old: Stamp | undefined, resource: unknown, version: string, now: string): { version_info: string; last_updated: string } {
  if (old && old.json === JSON.stringify(resource) && old.version_info !== undefined && old.last_updated !== undefined) {
    return { version_info: old.version_info, last_updated: old.last_updated };
  }
  return { version_info: version, last_updated: now };
}

function contentVersion(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The route configurations inside a listener's HttpConnectionManagers (`route_config`, not `rds`), as Envoy lists them: static. */
function inlineRouteConfigs(listener: EnvoyMessage): EnvoyMessage[] {
  const out: EnvoyMessage[] = [];
  const chains = Array.isArray(listener['filter_chains']) ? (listener['filter_chains'] as EnvoyMessage[]) : [];
  for (const chain of chains) {
    const filters = Array.isArray(chain['filters']) ? (chain['filters'] as EnvoyMessage[]) : [];
    for (const f of filters) {
      const tc = f['typed_config'] as EnvoyMessage | undefined;
      if (tc && typeNameOf(String(tc['@type'])) === ENVOY_TYPES.httpConnectionManager && tc['route_config']) {
        out.push(packAny(ENVOY_TYPES.routeConfiguration, tc['route_config'] as EnvoyMessage));
      }
    }
  }
  return out;
}

export interface ResourceDumpInput {
  /** The resources in force, as received (or as the control plane sends them). */
  resources: XdsResourceSet;
  /** `version_info` of this set. */
  version: string;
  /** The bootstrap's node: `<mesh>.<name>`, and the dataplane's service as `cluster`. */
  node: { id: string; cluster?: string };
  /** The dataplane admin address; default 127.0.0.1:9901. */
  admin?: XdsEndpoint;
  /** When this version was applied; default now. */
  updatedAt?: Date | string;
  /** The dump of the previous version: resources that did not change keep their `version_info` and `last_updated`, as in Envoy. */
  previous?: EnvoyConfigDump;
}

/**
 * The `/config_dump` of a set of xDS resources: every listener, cluster and RDS route configuration
 * as a dynamic resource with its stamps, inline route configurations as static ones (Envoy lists
 * them so), and the EDS endpoints as an EndpointsConfigDump, which `queryConfigDump` shows only
 * under `include_eds`, as Envoy does.
 */
export function configDumpOfResources(input: ResourceDumpInput): EnvoyConfigDump {
  const { resources: set, version } = input;
  const now = isoTime(input.updatedAt ?? new Date());
  const old = previousStamps(input.previous);
  const bootstrap = compact({
    node: compact({ id: input.node.id, cluster: input.node.cluster, user_agent_name: 'meshcap' }),
    admin: { address: socketAddress(input.admin?.address ?? DEFAULT_ADMIN.address, input.admin?.port ?? DEFAULT_ADMIN.port) },
  });
  const listenerStamps = set.listeners.map((l) => stamp(old.listeners.get(String(l['name'])), l, version, now));
  const dynamicListeners = set.listeners.map((l, i) => ({ name: l['name'], active_state: { version_info: listenerStamps[i]!.version_info, listener: l, last_updated: listenerStamps[i]!.last_updated } }));
  const dynamicClusters = set.clusters.map((c) => ({ ...stampFirst(stamp(old.clusters.get(String(c['name'])), c, version, now), 'cluster', c) }));
  // An inline route configuration is made with its listener: it is as old as the listener's last update.
  const staticRoutes = set.listeners.flatMap((l, i) => inlineRouteConfigs(l).map((r) => ({ route_config: r, last_updated: listenerStamps[i]!.last_updated })));
  const dynamicRoutes = set.routes.map((r) => stampFirst(stamp(old.routes.get(String(r['name'])), r, version, now), 'route_config', r));
  const dynamicEndpoints = set.endpoints.map((e) => stampFirst(stamp(old.endpoints.get(String(e['cluster_name'])), e, version, now), 'endpoint_config', e));
  const bootstrapUpdated = old.bootstrap && old.bootstrap.json === JSON.stringify(bootstrap) && old.bootstrap.last_updated ? old.bootstrap.last_updated : now;

  const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);
  return {
    configs: [
      packAny(ENVOY_TYPES.bootstrapDump, { bootstrap, last_updated: bootstrapUpdated }),
      packAny(ENVOY_TYPES.clustersDump, compact({ version_info: version, dynamic_active_clusters: nonEmpty(dynamicClusters) })),
      ...(dynamicEndpoints.length > 0 ? [packAny(ENVOY_TYPES.endpointsDump, { dynamic_endpoint_configs: dynamicEndpoints })] : []),
      packAny(ENVOY_TYPES.listenersDump, compact({ version_info: version, dynamic_listeners: nonEmpty(dynamicListeners) })),
      packAny(ENVOY_TYPES.scopedRoutesDump, {}),
      packAny(ENVOY_TYPES.routesDump, compact({ static_route_configs: nonEmpty(staticRoutes), dynamic_route_configs: nonEmpty(dynamicRoutes) })),
      packAny(ENVOY_TYPES.secretsDump, compact({ dynamic_active_secrets: nonEmpty(secretsDump(set.secrets ?? [], version, now)) })),
    ],
  };
}

/**
 * The resources a dump holds, as a resource set: what `configDumpOfResources` was given (the inline
 * routes stay in their listeners). The inspect API decodes them as meshcap dp does, so what it shows
 * is what the dataplane runs.
 */
export function resourcesOfConfigDump(dump: EnvoyConfigDump): XdsResourceSet {
  const entries = (type: string, list: string): EnvoyMessage[] => ((findConfig(dump, type)?.[list] as EnvoyMessage[] | undefined) ?? []);
  return {
    listeners: entries(ENVOY_TYPES.listenersDump, 'dynamic_listeners').map((l) => (l['active_state'] as EnvoyMessage)['listener'] as EnvoyMessage),
    routes: entries(ENVOY_TYPES.routesDump, 'dynamic_route_configs').map((r) => r['route_config'] as EnvoyMessage),
    clusters: entries(ENVOY_TYPES.clustersDump, 'dynamic_active_clusters').map((c) => c['cluster'] as EnvoyMessage),
    endpoints: entries(ENVOY_TYPES.endpointsDump, 'dynamic_endpoint_configs').map((e) => e['endpoint_config'] as EnvoyMessage),
  };
}

/** Secrets as Envoy's admin shows them: private keys `[redacted]`. */
function secretsDump(secrets: readonly EnvoyMessage[], version: string, now: string): EnvoyMessage[] {
  return secrets.map((s) => ({ name: s['name'], version_info: version, last_updated: now, secret: redactSecret(s) }));
}

/** `{version_info, <field>: resource, last_updated}`, in the field order Envoy prints. */
function stampFirst(s: { version_info: string; last_updated: string }, field: string, resource: EnvoyMessage): EnvoyMessage {
  return { version_info: s.version_info, [field]: resource, last_updated: s.last_updated };
}

/** Builds the Envoy v3 admin config dump of a dataplane's effective config: the dump of its rendering. */
export function buildConfigDump(input: ConfigDumpInput): EnvoyConfigDump {
  const { config } = input;
  const { ctx, built, clusters, endpoints, localService } = renderDataplane(config, input.policies, {
    routes: input.routes,
    endpoints: input.endpoints,
    tproxyMark: input.tproxyMark,
    defaultConnectTimeout: input.defaultConnectTimeout,
  });
  const version = input.version || input.policies?.version.versionInfo || config.version || contentVersion([built, clusters]);
  return configDumpOfResources({
    resources: { listeners: built.map((b) => b.listener), routes: ctx.routes === 'rds' ? built.flatMap((b) => b.routeConfigs) : [], clusters, endpoints },
    version,
    node: { id: `${config.mesh}.${config.dataplane}`, cluster: localService },
    admin: input.admin,
    updatedAt: input.updatedAt ?? input.policies?.version.updatedAt,
    previous: input.previous,
  });
}

/** The `version_info` of a dump (its ListenersConfigDump's), or undefined. */
export function configDumpVersion(dump: EnvoyConfigDump): string | undefined {
  const v = findConfig(dump, ENVOY_TYPES.listenersDump)?.['version_info'] ?? findConfig(dump, ENVOY_TYPES.clustersDump)?.['version_info'];
  return typeof v === 'string' ? v : undefined;
}
