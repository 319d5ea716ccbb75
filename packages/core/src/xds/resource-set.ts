import type { EnvoyMessage } from './envoy-json.ts';

/**
 * The Envoy v3 resources of one xDS client, by type: what the control plane serves over ADS and what
 * `meshcap dp` builds its listeners, routes, clusters and policy passes from. Each entry is the
 * resource in Envoy's JSON form (proto field names) with its `@type`, as `packAny` makes it; the
 * proto-json codec turns them into `google.protobuf.Any` and back.
 */
export interface XdsResourceSet {
  /** envoy.config.listener.v3.Listener (LDS, wildcard). */
  listeners: EnvoyMessage[];
  /** envoy.config.route.v3.RouteConfiguration (RDS, by name from the listeners' HttpConnectionManager `rds`). */
  routes: EnvoyMessage[];
  /** envoy.config.cluster.v3.Cluster (CDS, wildcard). */
  clusters: EnvoyMessage[];
  /** envoy.config.endpoint.v3.ClusterLoadAssignment (EDS, by name from the EDS clusters' `service_name` or name). */
  endpoints: EnvoyMessage[];
  /** envoy.extensions.transport_sockets.tls.v3.Secret (SDS, by name from the transport sockets' sds configs); absent without mTLS. */
  secrets?: EnvoyMessage[];
}

export const EMPTY_RESOURCE_SET: XdsResourceSet = Object.freeze({ listeners: [], routes: [], clusters: [], endpoints: [] }) as XdsResourceSet;
