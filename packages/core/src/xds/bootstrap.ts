import { MeshcapError } from '../errors.ts';
import { isIP } from 'node:net';
import { compact, ENVOY_FILTERS, ENVOY_TYPES, packAny, socketAddress, type EnvoyMessage } from './envoy-json.ts';
import { PROXY_TYPE_METADATA, PROXYLESS_PROXY_TYPE } from './proxyless.ts';

/**
 * Bootstraps that point an xDS client at the control plane's ADS: a gRPC xDS bootstrap (gRFC A27,
 * the file `GRPC_XDS_BOOTSTRAP` names) for a proxyless gRPC client, and an Envoy bootstrap for an
 * Envoy (or `meshcap dp --bootstrap`) running as a dataplane.
 */

/** The control plane's ADS by default: Kuma's xDS port, on loopback. */
export const DEFAULT_XDS_ADDRESS = '127.0.0.1:5678';

/** Where the control plane serves ADS: `host:port` or `unix:/path`. */
export type XdsAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `127.0.0.1:5678`, `[::1]:5678`, `cp.internal:5678`, `unix:/run/meshcap/cp.sock`. Throws MESHCAP_ERR_INVALID_ARGUMENT otherwise. */
export function parseXdsAddress(text: string): XdsAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path.startsWith('/')) return { kind: 'unix', path };
  } else {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
    const port = m ? Number(m[3]) : NaN;
    if (m && port > 0 && port <= 65535) return { kind: 'tcp', host: m[1] ?? m[2]!, port };
  }
  throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `"${text}" is not an xDS address: HOST:PORT (e.g. ${DEFAULT_XDS_ADDRESS} or [::1]:5678) or unix:/ABSOLUTE/PATH`);
}

/** The address as a gRPC target: gRPC's own syntax (`unix:/path`, `ipv6:[::1]:5678`, `host:port`). */
function grpcTarget(a: XdsAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `ipv6:[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export interface BootstrapOptions {
  mesh: string;
  dataplane: string;
  xds: XdsAddress;
}

/** xDS node id as the control plane reads it: `<mesh>.<name>`. */
export function xdsNodeId(mesh: string, dataplane: string): string {
  return `${mesh}.${dataplane}`;
}

/** Kuma's node metadata key for a sidecar's proxy type, and its value for a dataplane. */
const SIDECAR_PROXY_TYPE = 'dataplane';

/** The node metadata key of the dataplane token for a proxyless client (gRPC's xDS channel sends no call metadata). */
export const TOKEN_METADATA = 'dataplane.token';

/**
 * A gRPC xDS bootstrap for a proxyless client: the ADS server (insecure channel, `xds_v3`), and the
 * node, marked `dataplane.proxyType: proxyless` so the server sends it proxyless resources. gRPC's
 * xDS channel cannot carry call credentials, so the token travels in the node metadata.
 */
export function grpcBootstrap(o: BootstrapOptions & { token?: string }): EnvoyMessage {
  return {
    xds_servers: [{ server_uri: grpcTarget(o.xds), channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: xdsNodeId(o.mesh, o.dataplane),
      // grpc-js refuses a node without a locality; an empty one says nothing.
      locality: {},
      metadata: { [PROXY_TYPE_METADATA]: PROXYLESS_PROXY_TYPE, ...(o.token === undefined ? {} : { [TOKEN_METADATA]: o.token }) },
    },
  };
}

const ADS: EnvoyMessage = { ads: {}, resource_api_version: 'V3' };

/** The static cluster of the control plane's ADS, over HTTP/2 (gRPC). */
export const ADS_CLUSTER = 'ads_cluster';

function adsCluster(a: XdsAddress): EnvoyMessage {
  const address = a.kind === 'unix' ? { pipe: { path: a.path } } : socketAddress(a.host, a.port);
  return {
    name: ADS_CLUSTER,
    // A name is resolved (Kuma's STRICT_DNS); an address or a socket path is used as it is.
    type: a.kind === 'tcp' && isIP(a.host) === 0 ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: ADS_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
    typed_extension_protocol_options: {
      [ENVOY_FILTERS.httpProtocolOptions]: packAny(ENVOY_TYPES.httpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }),
    },
  };
}

/**
 * An Envoy v3 bootstrap (`envoy.config.bootstrap.v3.Bootstrap`) that takes every listener and
 * cluster from the control plane's ADS, as Kuma's does. The token goes raw in the `authorization`
 * metadata of the ADS stream (`initial_metadata`): the same header `file_based_metadata` call
 * credentials would send, but those need a secure channel, and the ADS port may be plain TCP.
 */
export function envoyBootstrap(o: BootstrapOptions & { token?: string }): EnvoyMessage {
  // Fields in field-number order, as Envoy prints them.
  return {
    node: { id: xdsNodeId(o.mesh, o.dataplane), cluster: o.dataplane, metadata: { [PROXY_TYPE_METADATA]: SIDECAR_PROXY_TYPE } },
    static_resources: { clusters: [adsCluster(o.xds)] },
    dynamic_resources: {
      lds_config: ADS,
      cds_config: ADS,
      ads_config: {
        api_type: 'GRPC',
        grpc_services: [
          compact({
            envoy_grpc: { cluster_name: ADS_CLUSTER },
            initial_metadata: o.token === undefined ? undefined : [{ key: 'authorization', value: o.token }],
          }),
        ],
        transport_api_version: 'V3',
      },
    },
  };
}
