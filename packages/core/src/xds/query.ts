import { MeshcapError } from '../errors.ts';
import { ENVOY_TYPES, packAny, typeNameOf, type EnvoyAny, type EnvoyConfigDump, type EnvoyMessage } from './envoy-json.ts';
import { loadEnvoyProtos } from './envoy-protos.ts';
import { checkFieldMaskAndTrim, parseFieldMask, trimResourceElement } from './field-mask.ts';
import { compileNameRegex } from './name-regex.ts';

/**
 * Envoy's `/config_dump` query parameters (source/server/admin/config_dump_handler.cc), applied to a
 * dump we built:
 * - `resource=<repeated field>`: only the elements of the first config type that has that field,
 *   each as its own config (`@type` …ListenersConfigDump.DynamicListener);
 * - `mask=<paths>`: a FieldMask; with `resource` it applies to each element and may reach into the
 *   element's packed resource (`cluster.name`), without it to each whole config type (types it does
 *   not fit are left out);
 * - `name_regex=<RE2>`: only resources whose name matches in full;
 * - `include_eds`: adds the EndpointsConfigDump (present = on, whatever its value, as in Envoy).
 * Errors are MeshcapErrors: 404 MESHCAP_ERR_NOT_FOUND for an unknown resource, 400
 * MESHCAP_ERR_INVALID_ARGUMENT for the rest, with Envoy's messages.
 */

export interface ConfigDumpQuery {
  resource?: string;
  mask?: string;
  name_regex?: string;
  include_eds?: boolean;
}

export type ConfigDumpParams = URLSearchParams | Readonly<Record<string, string | readonly string[] | boolean | undefined>>;

/** Reads the four parameters; the first value counts when one is repeated (Envoy's getFirstValue). */
export function parseConfigDumpQuery(params: ConfigDumpParams | undefined): ConfigDumpQuery {
  if (!params) return {};
  const first = (name: string): string | boolean | undefined => {
    if (params instanceof URLSearchParams) return params.get(name) ?? undefined;
    const v = params[name];
    return Array.isArray(v) ? (v[0] as string | undefined) : (v as string | boolean | undefined);
  };
  const text = (name: string): string | undefined => {
    const v = first(name);
    if (v === undefined || typeof v === 'string') return v === '' ? undefined : v;
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${name} must be a string`, [{ path: name, message: 'must be a string' }]);
  };
  const eds = first('include_eds');
  return {
    resource: text('resource'),
    mask: text('mask'),
    name_regex: text('name_regex'),
    include_eds: eds === undefined ? undefined : eds !== false,
  };
}

/** Where the name of each resource sits, per config type and repeated field. */
const NAME_PATHS: Record<string, Record<string, readonly string[]>> = {
  [ENVOY_TYPES.clustersDump]: { static_clusters: ['cluster', 'name'], dynamic_active_clusters: ['cluster', 'name'], dynamic_warming_clusters: ['cluster', 'name'] },
  [ENVOY_TYPES.listenersDump]: { static_listeners: ['listener', 'name'], dynamic_listeners: ['name'] },
  [ENVOY_TYPES.routesDump]: { static_route_configs: ['route_config', 'name'], dynamic_route_configs: ['route_config', 'name'] },
  [ENVOY_TYPES.scopedRoutesDump]: { inline_scoped_route_configs: ['name'], dynamic_scoped_route_configs: ['name'] },
  [ENVOY_TYPES.secretsDump]: { static_secrets: ['name'], dynamic_active_secrets: ['name'], dynamic_warming_secrets: ['name'] },
  [ENVOY_TYPES.endpointsDump]: { static_endpoint_configs: ['endpoint_config', 'cluster_name'], dynamic_endpoint_configs: ['endpoint_config', 'cluster_name'] },
};

function get(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const k of path) cur = typeof cur === 'object' && cur !== null ? (cur as EnvoyMessage)[k] : undefined;
  return cur;
}

/** A copy of `config` holding only the resources whose name matches. */
function filterByName(config: EnvoyAny, matches: (name: string) => boolean): EnvoyAny {
  const copy = structuredClone(config);
  const paths = NAME_PATHS[typeNameOf(config['@type'])];
  if (!paths) return copy;
  for (const [field, namePath] of Object.entries(paths)) {
    const list = copy[field];
    if (!Array.isArray(list)) continue;
    const kept = list.filter((r) => matches(String(get(r, namePath) ?? '')));
    if (kept.length > 0) copy[field] = kept;
    else delete copy[field]; // an empty list is not printed
  }
  return copy;
}

/**
 * The EndpointsConfigDump Envoy derives from its live clusters: one ClusterLoadAssignment per
 * active cluster, hosts healthy with weight 1 (no health checks run here), overprovisioning 140.
 * ORIGINAL_DST clusters learn their hosts per connection, so they list none. `received`: the
 * EndpointsConfigDump of the ClusterLoadAssignments received over EDS (what `configDumpOfResources`
 * keeps); an EDS cluster is listed with its received entry, as received.
 */
export function endpointsConfigDump(clusters: EnvoyAny | undefined, received?: EnvoyAny): EnvoyAny | undefined {
  const fromEds = new Map<string, EnvoyMessage>();
  for (const e of (received?.['dynamic_endpoint_configs'] as EnvoyMessage[] | undefined) ?? []) fromEds.set(String((e['endpoint_config'] as EnvoyMessage)['cluster_name']), e);
  const entries = (field: string): EnvoyMessage[] => {
    const list = clusters?.[field];
    return Array.isArray(list) ? (list as EnvoyMessage[]) : [];
  };
  const assignment = (cluster: EnvoyMessage): EnvoyMessage => {
    const la = cluster['load_assignment'] as EnvoyMessage | undefined;
    const localities = Array.isArray(la?.['endpoints']) ? (la['endpoints'] as EnvoyMessage[]) : [];
    const endpoints = localities
      .map((loc) => ({
        locality: {},
        lb_endpoints: ((loc['lb_endpoints'] as EnvoyMessage[] | undefined) ?? []).map((lb) => ({
          endpoint: { address: (lb['endpoint'] as EnvoyMessage)['address'], health_check_config: {} },
          health_status: 'HEALTHY',
          load_balancing_weight: 1,
        })),
      }))
      .filter((loc) => loc.lb_endpoints.length > 0);
    const body: EnvoyMessage = { cluster_name: cluster['name'] };
    if (endpoints.length > 0) body['endpoints'] = endpoints;
    body['policy'] = { overprovisioning_factor: 140 };
    return packAny(ENVOY_TYPES.clusterLoadAssignment, body);
  };
  const byName = (a: EnvoyMessage, b: EnvoyMessage): number => String(a['name']).localeCompare(String(b['name']));
  const statics = entries('static_clusters').map((e) => e['cluster'] as EnvoyMessage).sort(byName);
  const dynamics = entries('dynamic_active_clusters').map((e) => e['cluster'] as EnvoyMessage).sort(byName);
  if (statics.length + dynamics.length === 0) return undefined;
  const out: EnvoyMessage = {};
  if (statics.length > 0) out['static_endpoint_configs'] = statics.map((c) => ({ endpoint_config: assignment(c) }));
  if (dynamics.length > 0) {
    out['dynamic_endpoint_configs'] = dynamics.map((c) => {
      const edsName = c['type'] === 'EDS' ? String((c['eds_cluster_config'] as EnvoyMessage | undefined)?.['service_name'] ?? c['name']) : undefined;
      return (edsName !== undefined && fromEds.get(edsName)) || { endpoint_config: assignment(c) };
    });
  }
  return packAny(ENVOY_TYPES.endpointsDump, out);
}

function fieldMaskText(paths: readonly string[]): string {
  return paths.map((p) => `paths: "${p}"`).join(' ');
}

/** Applies Envoy's admin query parameters to a config dump. Never changes `dump`. */
export async function queryConfigDump(dump: EnvoyConfigDump, params?: ConfigDumpParams): Promise<EnvoyConfigDump> {
  const q = parseConfigDumpQuery(params);
  const matches = compileNameRegex(q.name_regex);
  const configs: EnvoyAny[] = [];
  const received = dump.configs?.find((c) => typeNameOf(c['@type']) === ENVOY_TYPES.endpointsDump);
  for (const config of dump.configs ?? []) {
    // Endpoints received over EDS are kept in the dump; Envoy shows them only under include_eds, with the clusters'.
    if (config === received) continue;
    configs.push(filterByName(config, matches));
    if (q.include_eds && typeNameOf(config['@type']) === ENVOY_TYPES.clustersDump) {
      // Envoy lists endpoints right after clusters; names filter them by cluster_name.
      const eds = endpointsConfigDump(config, received);
      if (eds) configs.push(filterByName(eds, matches));
    }
  }
  const mask = q.mask === undefined ? undefined : parseFieldMask(q.mask);
  if (q.resource === undefined && (mask === undefined || mask.length === 0)) return configs.length > 0 ? { configs } : {};

  const protos = await loadEnvoyProtos();
  if (q.resource !== undefined) {
    for (const config of configs) {
      const type = protos.type(typeNameOf(config['@type']));
      const field = type?.fields[q.resource];
      if (!type || !field) continue;
      if (!field.repeated) {
        throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${field.name} is not a repeated field. Use ?mask=${field.name} to get only this field`, [
          { path: 'resource', message: 'not a repeated field' },
        ]);
      }
      const elementType = field.resolvedType && 'fields' in field.resolvedType ? field.resolvedType : undefined;
      const elements = Array.isArray(config[q.resource]) ? (config[q.resource] as EnvoyMessage[]) : [];
      const out: EnvoyAny[] = [];
      for (const element of elements) {
        if (mask && mask.length > 0 && elementType && !trimResourceElement(mask, element, elementType, protos)) {
          throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `FieldMask ${fieldMaskText(mask)} could not be successfully used.`, [
            { path: 'mask', message: `does not fit ${elementType.fullName.replace(/^\./, '')}` },
          ]);
        }
        out.push(packAny(elementType ? elementType.fullName.replace(/^\./, '') : field.type, element));
      }
      return out.length > 0 ? { configs: out } : {};
    }
    throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `${q.resource} not found in config dump`, [{ path: 'resource', message: 'no config type has this field' }]);
  }

  const kept: EnvoyAny[] = [];
  for (const config of configs) {
    const type = protos.type(typeNameOf(config['@type']));
    // Masks cannot index into repeated fields, and each config type has its own fields: those it does not fit are left out.
    if (type && checkFieldMaskAndTrim(mask!, config, type, true)) kept.push(config);
  }
  if (kept.length === 0) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `FieldMask ${q.mask} could not be successfully applied to any configs.`, [
      { path: 'mask', message: 'fits no config type' },
    ]);
  }
  return { configs: kept };
}
