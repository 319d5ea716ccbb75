import type { MethodDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { EnvoyAny, EnvoyMessage } from './envoy-json.ts';
import { ENVOY_TYPES, typeUrl } from './envoy-json.ts';
import type { BinaryAny, EnvoyProtoJsonCodec } from './proto-json.ts';
import type { XdsResourceSet } from './resource-set.ts';

/**
 * Envoy's Aggregated Discovery Service, state of the world
 * (`envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources`): the one
 * method both the control plane's ADS server and `meshcap dp`'s ADS client speak. Messages are
 * carried in Envoy's JSON form (proto field names, resources as `@type` Anys) and turned into
 * protobuf binary on the wire by the proto-json codec, so a resource the protos do not define is
 * refused at the edge, by name and path.
 */

/** Kuma's xDS port, where `meshcap cp` serves ADS by default. */
export const DEFAULT_XDS_PORT = 5678;

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const ADS_METHOD_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;

/** The xDS resource types meshcap serves, in the order a push sends them (Envoy's rule: CDS before EDS, LDS before RDS). */
export const XDS_TYPES = {
  cluster: typeUrl(ENVOY_TYPES.cluster),
  endpoint: typeUrl(ENVOY_TYPES.clusterLoadAssignment),
  listener: typeUrl(ENVOY_TYPES.listener),
  route: typeUrl(ENVOY_TYPES.routeConfiguration),
  secret: typeUrl(ENVOY_TYPES.secret),
} as const;
export const XDS_PUSH_ORDER = [XDS_TYPES.cluster, XDS_TYPES.endpoint, XDS_TYPES.listener, XDS_TYPES.route, XDS_TYPES.secret] as const;
export type XdsTypeUrl = (typeof XDS_PUSH_ORDER)[number];

/** Short names, as people say them and as errors name them. */
export const XDS_TYPE_NAMES: Record<XdsTypeUrl, 'CDS' | 'EDS' | 'LDS' | 'RDS' | 'SDS'> = {
  [XDS_TYPES.cluster]: 'CDS',
  [XDS_TYPES.endpoint]: 'EDS',
  [XDS_TYPES.listener]: 'LDS',
  [XDS_TYPES.route]: 'RDS',
  [XDS_TYPES.secret]: 'SDS',
};

/** LDS and CDS are subscribed to as a whole (wildcard); RDS, EDS and SDS by the names the listeners and clusters give. */
export function isWildcardType(type: string): boolean {
  return type === XDS_TYPES.listener || type === XDS_TYPES.cluster;
}

export function isXdsType(type: string): type is XdsTypeUrl {
  return (XDS_PUSH_ORDER as readonly string[]).includes(type);
}

/** The field of a resource set that holds resources of `type`. */
export function resourceSetField(type: XdsTypeUrl): keyof XdsResourceSet {
  switch (type) {
    case XDS_TYPES.cluster:
      return 'clusters';
    case XDS_TYPES.endpoint:
      return 'endpoints';
    case XDS_TYPES.listener:
      return 'listeners';
    case XDS_TYPES.secret:
      return 'secrets';
    default:
      return 'routes';
  }
}

/** The name xDS knows a resource by (ClusterLoadAssignment: `cluster_name`). */
export function xdsResourceName(resource: EnvoyMessage): string {
  return String(resource['name'] ?? resource['cluster_name'] ?? '');
}

/** envoy.config.core.v3.Node, as far as meshcap reads it. */
export interface XdsNode {
  id?: string;
  cluster?: string;
  /** google.protobuf.Struct in its JSON form. */
  metadata?: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
  [field: string]: unknown;
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode;
  resource_names?: string[];
  type_url: string;
  response_nonce?: string;
  /** google.rpc.Status: set on a NACK. */
  error_detail?: { code?: number; message?: string };
}

export interface DiscoveryResponse {
  version_info: string;
  resources: EnvoyAny[];
  type_url: string;
  nonce: string;
  control_plane?: { identifier: string };
}

/** The method's definition for `@grpc/grpc-js` (server `addService`, client `makeGenericClientConstructor`), over the codec. */
export function adsMethodDefinition(codec: EnvoyProtoJsonCodec): MethodDefinition<DiscoveryRequest, DiscoveryResponse> {
  return {
    path: ADS_METHOD_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m) => Buffer.from(codec.encode('envoy.service.discovery.v3.DiscoveryRequest', m)),
    requestDeserialize: (b) => codec.decode('envoy.service.discovery.v3.DiscoveryRequest', b) as DiscoveryRequest,
    responseSerialize: (m) => Buffer.from(codec.encode('envoy.service.discovery.v3.DiscoveryResponse', m)),
    responseDeserialize: (b) => codec.decode('envoy.service.discovery.v3.DiscoveryResponse', b) as DiscoveryResponse,
  };
}

/** `google.protobuf.Any` in binary (type_url = 1, value = 2): a resource encoded once and sent to every client that needs it. */
export function encodeAnyMessage(any: BinaryAny): Uint8Array {
  return protobuf.Writer.create().uint32(10).string(any.type_url).uint32(18).bytes(any.value).finish();
}

/** A DiscoveryResponse whose resources are already encoded (`encodeAnyMessage`), as the ADS server sends it. */
export interface EncodedDiscoveryResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly Uint8Array[];
}

/**
 * DiscoveryResponse in binary from pre-encoded resources (version_info = 1, resources = 2,
 * type_url = 4, nonce = 5): a push to a thousand dataplanes encodes each resource once, not once
 * per stream.
 */
export function encodeDiscoveryResponse(r: EncodedDiscoveryResponse): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).string(r.version_info);
  for (const any of r.resources) w.uint32(18).bytes(any);
  w.uint32(34).string(r.type_url);
  w.uint32(42).string(r.nonce);
  return Buffer.from(w.finish());
}

/** A DiscoveryResponse as a client reads it: resources it cannot decode are named in `errors` (it NACKs them), not thrown. */
export interface ReceivedDiscoveryResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: EnvoyAny[];
  errors: string[];
}

/**
 * Reads DiscoveryResponse binary field by field (version_info = 1, resources = 2, type_url = 4,
 * nonce = 5), so that one resource our protos refuse still leaves the nonce to NACK with.
 */
export function decodeDiscoveryResponse(codec: EnvoyProtoJsonCodec, bytes: Uint8Array): ReceivedDiscoveryResponse {
  const out: ReceivedDiscoveryResponse = { version_info: '', type_url: '', nonce: '', resources: [], errors: [] };
  const anys: Uint8Array[] = [];
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        out.version_info = r.string();
        break;
      case 2:
        anys.push(r.bytes());
        break;
      case 4:
        out.type_url = r.string();
        break;
      case 5:
        out.nonce = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  anys.forEach((bytesOfAny, i) => {
    const a = protobuf.Reader.create(bytesOfAny);
    const any: BinaryAny = { type_url: '', value: new Uint8Array() };
    while (a.pos < a.len) {
      const tag = a.uint32();
      if (tag >>> 3 === 1) any.type_url = a.string();
      else if (tag >>> 3 === 2) any.value = a.bytes();
      else a.skipType(tag & 7);
    }
    try {
      out.resources.push(codec.decodeAny(any));
    } catch (err) {
      out.errors.push(`resources[${i}] (${any.type_url || 'no type_url'}): ${(err as Error).message}`);
    }
  });
  return out;
}
