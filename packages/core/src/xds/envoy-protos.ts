import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { INamespace, Root, Type } from 'protobufjs';
import { MeshcapError } from '../errors.ts';

/**
 * Envoy's own .proto files (shipped by @grpc/grpc-js-xds under deps/) loaded with protobufjs, lazily
 * and once per process: the strict JSON check and the admin `mask=` parameter both read the message
 * descriptors from here, so what we accept is what Envoy's API defines, not a copy of it.
 */

/** Every message type our config dumps carry, directly or inside an Any. Their imports come along. */
/** google.protobuf wrappers → the scalar they wrap: in proto3 JSON a wrapper is that scalar itself. */
export const PROTOBUF_WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

export const ENVOY_PROTO_FILES = [
  'envoy/admin/v3/config_dump.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/original_src/v3/original_src.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  // The `kuma:dns` listener's filter (dns/envoy.ts).
  'envoy/extensions/filters/udp/dns_filter/v3/dns_filter.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  // DiscoveryRequest/DiscoveryResponse of the ADS server (apps/api/src/xds-server).
  'envoy/service/discovery/v3/ads.proto',
] as const;

export interface EnvoyProtos {
  root: Root;
  /** The message type with this full name (`envoy.config.listener.v3.Listener`), or undefined. */
  type(fullName: string): Type | undefined;
}

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  let xdsDir: string;
  let protobufjsDir: string;
  try {
    xdsDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
    protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  } catch (err) {
    throw new MeshcapError(
      'MESHCAP_ERR_INTERNAL',
      "Envoy's .proto files are not installed: @grpc/grpc-js-xds and protobufjs are needed for field masks and proto checks",
      [],
      { cause: err },
    );
  }
  const deps = path.join(xdsDir, 'deps');
  // protobufjs carries google/protobuf/descriptor.proto, which the validate/udpa annotations import.
  return [...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)), protobufjsDir];
}

/**
 * A protobufjs JSON descriptor of the protos to load instead of the .proto files: the proxy-user
 * dataplane runs from a bundle without node_modules (see packages/dataplane/src/dp-runtime.ts).
 */
export const ENVOY_PROTOS_JSON_ENV = 'MESHCAP_ENVOY_PROTOS_JSON';

/** The loaded protos as a protobufjs JSON descriptor (what ENVOY_PROTOS_JSON_ENV names). */
export async function envoyProtosDescriptor(): Promise<string> {
  return JSON.stringify((await loadEnvoyProtos()).root.toJSON());
}

let loading: Promise<EnvoyProtos> | undefined;

/** Loads the protos on first call (a few hundred ms), then returns the same instance. */
export function loadEnvoyProtos(): Promise<EnvoyProtos> {
  loading ??= (async () => {
    const protobuf = (await import('protobufjs')).default;
    const descriptor = process.env[ENVOY_PROTOS_JSON_ENV];
    let root: Root;
    if (descriptor) {
      root = protobuf.Root.fromJSON(JSON.parse(readFileSync(descriptor, 'utf8')) as INamespace);
    } else {
      const dirs = includeDirs();
      root = new protobuf.Root();
      root.resolvePath = (_origin, target) => {
        if (path.isAbsolute(target)) return target;
        for (const dir of dirs) {
          const candidate = path.join(dir, target);
          if (existsSync(candidate)) return candidate;
        }
        return target;
      };
      // keepCase: fields keep their .proto names, which is what Envoy prints (snake_case).
      await root.load([...ENVOY_PROTO_FILES], { keepCase: true });
    }
    root.resolveAll();
    const cache = new Map<string, Type | undefined>();
    return {
      root,
      type(fullName) {
        if (!cache.has(fullName)) {
          let found: Type | undefined;
          try {
            found = root.lookupType(fullName);
          } catch {
            found = undefined;
          }
          cache.set(fullName, found);
        }
        return cache.get(fullName);
      },
    };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
