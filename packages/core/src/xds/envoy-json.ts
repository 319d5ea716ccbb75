import { isIP } from 'node:net';
import { durationToMs, type HeaderModifier } from '../model/index.ts';

/**
 * Building blocks of Envoy's proto3 JSON as its admin prints it: `@type` first in every Any, proto
 * field names, fields in field-number order, unset and default values left out, Duration as "5s",
 * FractionalPercent with the smallest exact denominator.
 */

/** A JSON object as Envoy prints a message. */
export type EnvoyMessage = { [field: string]: unknown };

/** An Any: `@type` plus the packed message's fields. */
export type EnvoyAny = { '@type': string } & EnvoyMessage;

/** What `/config_dump` answers: `envoy.admin.v3.ConfigDump`. An empty dump prints as `{}`. */
export interface EnvoyConfigDump {
  configs?: EnvoyAny[];
}

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Full message names of everything we emit inside an Any. */
export const ENVOY_TYPES = {
  bootstrapDump: 'envoy.admin.v3.BootstrapConfigDump',
  clustersDump: 'envoy.admin.v3.ClustersConfigDump',
  endpointsDump: 'envoy.admin.v3.EndpointsConfigDump',
  listenersDump: 'envoy.admin.v3.ListenersConfigDump',
  scopedRoutesDump: 'envoy.admin.v3.ScopedRoutesConfigDump',
  routesDump: 'envoy.admin.v3.RoutesConfigDump',
  secretsDump: 'envoy.admin.v3.SecretsConfigDump',
  listener: 'envoy.config.listener.v3.Listener',
  cluster: 'envoy.config.cluster.v3.Cluster',
  routeConfiguration: 'envoy.config.route.v3.RouteConfiguration',
  clusterLoadAssignment: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  originalDst: 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  originalSrc: 'envoy.extensions.filters.listener.original_src.v3.OriginalSrc',
  httpConnectionManager: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  networkRbac: 'envoy.extensions.filters.network.rbac.v3.RBAC',
  networkLocalRateLimit: 'envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
  httpFault: 'envoy.extensions.filters.http.fault.v3.HTTPFault',
  httpLocalRateLimit: 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  httpRbac: 'envoy.extensions.filters.http.rbac.v3.RBAC',
  router: 'envoy.extensions.filters.http.router.v3.Router',
  fileAccessLog: 'envoy.extensions.access_loggers.file.v3.FileAccessLog',
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  dnsFilter: 'envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig',
  secret: 'envoy.extensions.transport_sockets.tls.v3.Secret',
  downstreamTlsContext: 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  upstreamTlsContext: 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  tlsInspector: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
} as const;

/** Extension names, as Kuma writes them in `name`. */
export const ENVOY_FILTERS = {
  originalDst: 'envoy.filters.listener.original_dst',
  originalSrc: 'envoy.filters.listener.original_src',
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  networkRbac: 'envoy.filters.network.rbac',
  networkLocalRateLimit: 'envoy.filters.network.local_ratelimit',
  fault: 'envoy.filters.http.fault',
  localRateLimit: 'envoy.filters.http.local_ratelimit',
  rbac: 'envoy.filters.http.rbac',
  router: 'envoy.filters.http.router',
  fileAccessLog: 'envoy.access_loggers.file',
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  dnsFilter: 'envoy.filters.udp.dns_filter',
  tls: 'envoy.transport_sockets.tls',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
} as const;

export function typeUrl(fullName: string): string {
  return `${TYPE_URL_PREFIX}${fullName}`;
}

/** The message name in a type URL (`type.googleapis.com/a.b.C` → `a.b.C`). */
export function typeNameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

export function packAny(fullName: string, message: EnvoyMessage): EnvoyAny {
  return { '@type': typeUrl(fullName), ...message };
}

/** A typed extension: `{name, typed_config}`. */
export function typedExtension(name: string, fullName: string, config: EnvoyMessage = {}): EnvoyMessage {
  return { name, typed_config: packAny(fullName, config) };
}

/** Drops undefined values, so builders can write every field in order and let absent ones fall out. */
export function compact<T extends EnvoyMessage>(message: T): T {
  for (const key of Object.keys(message)) if (message[key] === undefined) delete message[key];
  return message;
}

/** `f(v)` when the policy sets `v`, else undefined (so `compact` drops the field). */
export function ifSet<T, R>(v: T | undefined, f: (v: T) => R): R | undefined {
  return v === undefined ? undefined : f(v);
}

/** A Kuma header modifier as Envoy's `HeaderValueOption`s (set overwrites, add appends); undefined when empty. */
export function headerValueOptions(h: HeaderModifier | undefined): EnvoyMessage[] | undefined {
  const out = [
    ...(h?.set ?? []).map((x) => ({ header: { key: x.name, value: x.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    // APPEND_IF_EXISTS_OR_ADD is the zero value.
    ...(h?.add ?? []).map((x) => ({ header: { key: x.name, value: x.value } })),
  ];
  return out.length > 0 ? out : undefined;
}

/** A Duration from milliseconds: "5s", "0.250s", "0.000100s" (Envoy prints 0, 3, 6 or 9 digits). */
export function durationFromMs(ms: number): string {
  const nanos = BigInt(Math.round(ms * 1e6));
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const secs = abs / 1_000_000_000n;
  const frac = abs % 1_000_000_000n;
  let text = `${secs}`;
  if (frac !== 0n) {
    const digits = frac.toString().padStart(9, '0');
    text += `.${frac % 1_000_000n === 0n ? digits.slice(0, 3) : frac % 1000n === 0n ? digits.slice(0, 6) : digits}`;
  }
  return `${negative ? '-' : ''}${text}s`;
}

/** A Kuma duration ("1m30s", "100ms", "0") as an Envoy Duration ("90s", "0.100s", "0s"). */
export function duration(kuma: string): string {
  return durationFromMs(durationToMs(kuma));
}

/** Percent (0–100, decimals allowed) as a FractionalPercent with the smallest exact denominator. */
export function fractionalPercent(percent: number): EnvoyMessage {
  const exact = (scale: number): number | undefined => {
    const n = Math.round(percent * scale);
    return Math.abs(n - percent * scale) < 1e-6 ? n : undefined;
  };
  const hundred = exact(1);
  // HUNDRED is the enum's zero value, so Envoy leaves the denominator out.
  if (hundred !== undefined) return compact({ numerator: hundred || undefined });
  const tenThousand = exact(100);
  if (tenThousand !== undefined) return { numerator: tenThousand, denominator: 'TEN_THOUSAND' };
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/** An `envoy.config.core.v3.SocketAddress`; `port_value` is a oneof member, so even 0 is printed. */
export function socketAddressOf(address: string, port: number): EnvoyMessage {
  return { address, port_value: port };
}

/** An `envoy.config.core.v3.Address`: `{socket_address: {address, port_value}}`. */
export function socketAddress(address: string, port: number): EnvoyMessage {
  return { socket_address: socketAddressOf(address, port) };
}

/** A CidrRange matching exactly one address. */
export function hostCidr(address: string): EnvoyMessage {
  return { address_prefix: address, prefix_len: isIP(address) === 6 ? 128 : 32 };
}

/** Envoy writes `:` and other non-stat characters as `_` in stat prefixes (`localhost:5000` → `localhost_5000`). */
export function statPrefix(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Envoy's `envoy.type.v3.StatusCode` names; other codes have no name and Envoy refuses them. */
const STATUS_NAMES: Record<number, string> = {
  100: 'Continue', 200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'NonAuthoritativeInformation', 204: 'NoContent',
  205: 'ResetContent', 206: 'PartialContent', 207: 'MultiStatus', 208: 'AlreadyReported', 226: 'IMUsed',
  300: 'MultipleChoices', 301: 'MovedPermanently', 302: 'Found', 303: 'SeeOther', 304: 'NotModified', 305: 'UseProxy',
  307: 'TemporaryRedirect', 308: 'PermanentRedirect', 400: 'BadRequest', 401: 'Unauthorized', 402: 'PaymentRequired',
  403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable', 407: 'ProxyAuthenticationRequired',
  408: 'RequestTimeout', 409: 'Conflict', 410: 'Gone', 411: 'LengthRequired', 412: 'PreconditionFailed',
  413: 'PayloadTooLarge', 414: 'URITooLong', 415: 'UnsupportedMediaType', 416: 'RangeNotSatisfiable',
  417: 'ExpectationFailed', 421: 'MisdirectedRequest', 422: 'UnprocessableEntity', 423: 'Locked', 424: 'FailedDependency',
  426: 'UpgradeRequired', 428: 'PreconditionRequired', 429: 'TooManyRequests', 431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalServerError', 501: 'NotImplemented', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
  505: 'HTTPVersionNotSupported', 506: 'VariantAlsoNegotiates', 507: 'InsufficientStorage', 508: 'LoopDetected',
  510: 'NotExtended', 511: 'NetworkAuthenticationRequired',
};

/** An `envoy.type.v3.HttpStatus`: the code by name, or the bare number when Envoy's enum has no name for it. */
export function httpStatus(code: number): EnvoyMessage {
  return { code: STATUS_NAMES[code] ?? code };
}

/** The number of an `envoy.type.v3.HttpStatus` `code` as proto JSON writes it (name or number); undefined when it is neither. */
export function httpStatusCode(code: unknown): number | undefined {
  if (typeof code === 'number') return Number.isInteger(code) ? code : undefined;
  if (typeof code !== 'string') return undefined;
  if (/^\d+$/.test(code)) return Number(code);
  const hit = Object.entries(STATUS_NAMES).find(([, name]) => name === code);
  return hit ? Number(hit[0]) : undefined;
}

/** Envoy's pretty JSON: one space per level, as `/config_dump` prints it. */
export function formatEnvoyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 1)}\n`;
}
