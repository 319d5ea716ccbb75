import { createHash } from 'node:crypto';
import { MeshcapError } from '../errors.ts';
import { compact, ENVOY_TYPES, packAny, socketAddress, typeNameOf, type EnvoyAny, type EnvoyConfigDump, type EnvoyMessage } from './envoy-json.ts';
import type { ConfigDumpInput } from './input.ts';
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
  bootstrap?: Stamp;
} {
  const listeners = new Map<string, Stamp>();
  const clusters = new Map<string, Stamp>();
  const routes = new Map<string, Stamp>();
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
  const b = findConfig(previous, ENVOY_TYPES.bootstrapDump);
  return { listeners, clusters, routes, bootstrap: b && { json: JSON.stringify(b['bootstrap']), last_updated: b['last_updated'] as string } };
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

/** Builds the Envoy v3 admin config dump of a dataplane's effective config. */
export function buildConfigDump(input: ConfigDumpInput): EnvoyConfigDump {
  const { config } = input;
  const { ctx, built, clusters, localService } = renderDataplane(config, input.policies, {
    routes: input.routes,
    tproxyMark: input.tproxyMark,
    defaultConnectTimeout: input.defaultConnectTimeout,
  });
  const bootstrap = compact({
    node: compact({ id: `${config.mesh}.${config.dataplane}`, cluster: localService, user_agent_name: 'meshcap' }),
    admin: { address: socketAddress(input.admin?.address ?? DEFAULT_ADMIN.address, input.admin?.port ?? DEFAULT_ADMIN.port) },
  });

  const version = input.version || input.policies?.version.versionInfo || config.version || contentVersion([built, clusters]);
  const now = isoTime(input.updatedAt ?? input.policies?.version.updatedAt ?? new Date());
  const old = previousStamps(input.previous);

  const listenerStamps = built.map((b) => stamp(old.listeners.get(b.name), b.listener, version, now));
  const dynamicListeners = built.map((b, i) => ({ name: b.name, active_state: { version_info: listenerStamps[i]!.version_info, listener: b.listener, last_updated: listenerStamps[i]!.last_updated } }));
  const dynamicClusters = clusters.map((c) => {
    const s = stamp(old.clusters.get(String(c['name'])), c, version, now);
    return { version_info: s.version_info, cluster: c, last_updated: s.last_updated };
  });
  const routeEntries = built.flatMap((b, i) =>
    b.routeConfigs.map((r) => {
    if (ctx.routes === 'inline') {
      // An inline route configuration is made with its listener: it is as old as the listener's last update.
      return { route_config: r, last_updated: listenerStamps[i]!.last_updated };
    }
    const s = stamp(old.routes.get(String(r['name'])), r, version, now);
    return { version_info: s.version_info, route_config: r, last_updated: s.last_updated };
  }),
  );
  const bootstrapUpdated = old.bootstrap && old.bootstrap.json === JSON.stringify(bootstrap) && old.bootstrap.last_updated ? old.bootstrap.last_updated : now;

  const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);
  return {
    configs: [
      packAny(ENVOY_TYPES.bootstrapDump, { bootstrap, last_updated: bootstrapUpdated }),
      packAny(ENVOY_TYPES.clustersDump, compact({ version_info: version, dynamic_active_clusters: nonEmpty(dynamicClusters) })),
      packAny(ENVOY_TYPES.listenersDump, compact({ version_info: version, dynamic_listeners: nonEmpty(dynamicListeners) })),
      packAny(ENVOY_TYPES.scopedRoutesDump, {}),
      packAny(
        ENVOY_TYPES.routesDump,
        compact(ctx.routes === 'rds' ? { dynamic_route_configs: nonEmpty(routeEntries) } : { static_route_configs: nonEmpty(routeEntries) }),
      ),
      packAny(ENVOY_TYPES.secretsDump, {}),
    ],
  };
}

/** The `version_info` of a dump (its ListenersConfigDump's), or undefined. */
export function configDumpVersion(dump: EnvoyConfigDump): string | undefined {
  const v = findConfig(dump, ENVOY_TYPES.listenersDump)?.['version_info'] ?? findConfig(dump, ENVOY_TYPES.clustersDump)?.['version_info'];
  return typeof v === 'string' ? v : undefined;
}
