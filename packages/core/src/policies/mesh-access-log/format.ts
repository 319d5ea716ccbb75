import { hostname } from 'node:os';
import { FLOW_REASONS, flowReasonCode, type FlowAddress, type FlowRecord } from '../../flows/index.ts';
import type { HttpRequestView, HttpResponseView } from '../../proxy/chain.ts';
import { grpcStatusName } from '../../proxy/http2/grpc.ts';
import { parseAccessLogFormat } from './format-syntax.ts';
import { ACCESS_LOG_DEFAULT_HTTP_FORMAT, ACCESS_LOG_DEFAULT_TCP_FORMAT, type AccessLogFormat } from './schema.ts';

/**
 * Access log lines from flows, in Envoy's command-operator syntax plus Kuma's `%KUMA_*%`
 * operators. A format is compiled once (per policy and config version) into a list of field
 * readers; rendering a line reads the finished flow and, for HTTP, the request and response heads.
 * A value that is not set prints `-`, as in Envoy. Operators that need what meshcap does not have
 * (TLS peers, dynamic metadata, filter state) print `-`; an operator Envoy does not know is an
 * error when the format is compiled.
 */

/** What a line is rendered from. */
export interface AccessLogRecord {
  flow: FlowRecord;
  /** HTTP only. */
  request?: HttpRequestView;
  response?: HttpResponseView;
  /** `%KUMA_SOURCE_SERVICE%`, `%KUMA_DESTINATION_SERVICE%`, `%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%`. */
  sourceService: string;
  destinationService: string;
  sourceAddress: string;
}

type Value = string | number | undefined;
type Field = (r: AccessLogRecord) => Value;

export interface CompiledAccessLogFormat {
  /** One line, ending in a newline. */
  render(r: AccessLogRecord): string;
}

function hostPort(a: FlowAddress | undefined): string | undefined {
  if (!a) return undefined;
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Envoy's START_TIME format: strftime (UTC) plus `%s` and `%1f`…`%9f` / `%f` for fractions of a second. */
function strftime(format: string, ms: number): string {
  const d = new Date(ms);
  return format.replace(/%([1-9]?f|[YmdHMSsjzZeyFT%])/g, (_m, spec: string) => {
    switch (spec) {
      case 'Y':
        return String(d.getUTCFullYear());
      case 'y':
        return pad(d.getUTCFullYear() % 100);
      case 'm':
        return pad(d.getUTCMonth() + 1);
      case 'd':
        return pad(d.getUTCDate());
      case 'e':
        return String(d.getUTCDate()).padStart(2, ' ');
      case 'H':
        return pad(d.getUTCHours());
      case 'M':
        return pad(d.getUTCMinutes());
      case 'S':
        return pad(d.getUTCSeconds());
      case 's':
        return String(Math.floor(ms / 1000));
      case 'j':
        return pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
      case 'z':
        return '+0000';
      case 'Z':
        return 'UTC';
      case 'F':
        return d.toISOString().slice(0, 10);
      case 'T':
        return d.toISOString().slice(11, 19);
      case '%':
        return '%';
      default: {
        // %f is nanoseconds (9 digits); %Nf the first N of them. We have milliseconds.
        const digits = spec === 'f' ? 9 : Number(spec[0]);
        return `${pad(d.getUTCMilliseconds(), 3)}000000`.slice(0, digits);
      }
    }
  });
}

/** `REQ(X-ENVOY-ORIGINAL-PATH?:PATH)`: the first header present. */
function header(names: string, fromResponse: boolean): Field {
  const alternatives = names.split('?').map((n) => n.trim().toLowerCase());
  return (r) => {
    const head = fromResponse ? r.response : r.request;
    if (!head) return undefined;
    for (const name of alternatives) {
      const v = fromResponse ? head.get(name) : requestHeader(r.request!, name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

function requestHeader(req: HttpRequestView, name: string): string | undefined {
  switch (name) {
    case ':method':
      return req.method;
    case ':path':
      return req.path;
    case ':authority':
      return req.authority || undefined;
    case ':scheme':
      return 'http';
    default:
      return req.get(name);
  }
}

/** Envoy's %RESPONSE_FLAGS% from what the flow recorded. */
export function responseFlags(flow: FlowRecord): string | undefined {
  const flags: string[] = [];
  if (flow.policies.some((p) => p.type === 'MeshFaultInjection' && p.action.startsWith('delay'))) flags.push('DI');
  const flag = flow.reason === undefined ? undefined : FLOW_REASONS[flowReasonCode(flow.reason)]?.flag;
  if (flag) flags.push(flag);
  const failed = flow.verdict === 'error' || (flow.http?.status ?? 0) >= 500;
  if ((flow.http?.attempts ?? 0) > 1 && failed) flags.push('URX');
  return flags.length ? flags.join(',') : undefined;
}

const round = (n: number | undefined): number | undefined => (n === undefined ? undefined : Math.round(n));
const withoutPort = (a: FlowAddress | undefined): string | undefined => a?.address;
const HOST = hostname();

/** Operators with no argument. */
const SIMPLE: Readonly<Record<string, Field>> = {
  DURATION: (r) => round(r.flow.timings.totalMs),
  RESPONSE_DURATION: (r) => round(r.flow.timings.firstByteMs),
  RESPONSE_TX_DURATION: (r) => (r.flow.timings.firstByteMs === undefined ? undefined : Math.round(r.flow.timings.totalMs - r.flow.timings.firstByteMs)),
  BYTES_RECEIVED: (r) => (r.flow.http ? r.flow.http.requestBytes : r.flow.bytes.fromClient),
  BYTES_SENT: (r) => (r.flow.http ? r.flow.http.responseBytes : r.flow.bytes.toClient),
  RESPONSE_CODE: (r) => r.flow.http?.status ?? 0,
  RESPONSE_CODE_DETAILS: (r) => r.flow.reason ?? (r.flow.http?.status !== undefined ? 'via_upstream' : undefined),
  CONNECTION_TERMINATION_DETAILS: (r) => r.flow.close,
  RESPONSE_FLAGS: (r) => responseFlags(r.flow),
  PROTOCOL: (r) => r.request?.protocol,
  UPSTREAM_PROTOCOL: (r) => r.response?.protocol,
  GRPC_STATUS: (r) => grpcStatusName(r.flow.http?.grpc?.status),
  GRPC_STATUS_NUMBER: (r) => r.flow.http?.grpc?.status,
  UPSTREAM_HOST: (r) => hostPort(r.flow.upstream),
  UPSTREAM_REMOTE_ADDRESS: (r) => hostPort(r.flow.upstream),
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (r) => withoutPort(r.flow.upstream),
  UPSTREAM_REMOTE_PORT: (r) => r.flow.upstream?.port,
  UPSTREAM_CLUSTER: (r) => r.flow.cluster,
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (r) => r.flow.http?.attempts,
  DOWNSTREAM_REMOTE_ADDRESS: (r) => hostPort(r.flow.client),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (r) => withoutPort(r.flow.client),
  DOWNSTREAM_REMOTE_PORT: (r) => r.flow.client.port,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (r) => hostPort(r.flow.client),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (r) => withoutPort(r.flow.client),
  DOWNSTREAM_DIRECT_REMOTE_PORT: (r) => r.flow.client.port,
  // The original destination: what Envoy reports for a connection redirected to a use_original_dst listener.
  DOWNSTREAM_LOCAL_ADDRESS: (r) => hostPort(r.flow.destination),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (r) => withoutPort(r.flow.destination),
  DOWNSTREAM_LOCAL_PORT: (r) => r.flow.destination.port,
  CONNECTION_ID: (r) => r.flow.connectionId,
  HOSTNAME: () => HOST,
  KUMA_MESH: (r) => r.flow.mesh,
  KUMA_SOURCE_SERVICE: (r) => r.sourceService,
  KUMA_DESTINATION_SERVICE: (r) => r.destinationService,
  KUMA_SOURCE_ADDRESS: (r) => (r.flow.direction === 'inbound' ? hostPort(r.flow.client) : r.sourceAddress),
  KUMA_SOURCE_ADDRESS_WITHOUT_PORT: (r) => r.sourceAddress,
  KUMA_TRAFFIC_DIRECTION: (r) => (r.flow.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND'),
  // meshcap's own: tie a line to its flow record.
  MESHCAP_FLOW_ID: (r) => r.flow.id,
  MESHCAP_VERDICT: (r) => r.flow.verdict,
  MESHCAP_POLICIES: (r) => (r.flow.policies.length ? r.flow.policies.map((p) => `${p.type}/${p.name}: ${p.action}`).join('; ') : undefined),
};

/** Envoy operators that need what meshcap has not got (no TLS, no metadata, no routes): always `-`. */
const UNAVAILABLE = /^(?:(?:DOWNSTREAM|UPSTREAM)_(?:PEER|TLS|LOCAL_URI_SAN|LOCAL_DNS_SAN|LOCAL_SUBJECT|LOCAL_IP_SAN|LOCAL_EMAIL_SAN)\w*|DYNAMIC_METADATA|CLUSTER_METADATA|UPSTREAM_METADATA|FILTER_STATE|UPSTREAM_FILTER_STATE|REQUESTED_SERVER_NAME|ROUTE_NAME|VIRTUAL_CLUSTER_NAME|STREAM_ID|UPSTREAM_LOCAL_ADDRESS|UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT|UPSTREAM_LOCAL_PORT|UPSTREAM_TRANSPORT_FAILURE_REASON|REQUEST_DURATION|REQUEST_TX_DURATION|REQUEST_HEADERS_BYTES|RESPONSE_HEADERS_BYTES|RESPONSE_TRAILERS_BYTES|TRAILER|LOCAL_REPLY_BODY|ENVIRONMENT|UPSTREAM_CONNECTION_ID|DOWNSTREAM_HANDSHAKE_DURATION|ACCESS_LOG_TYPE)$/;

function field(operator: string, argument: string | undefined): Field {
  if (operator === 'START_TIME') return argument ? (r) => strftime(argument, r.flow.start) : (r) => new Date(r.flow.start).toISOString();
  if (operator === 'REQ' || operator === 'RESP') {
    if (!argument) throw new RangeError(`%${operator}(header)% needs a header name`);
    return header(argument, operator === 'RESP');
  }
  const simple = SIMPLE[operator];
  if (simple) return simple;
  if (UNAVAILABLE.test(operator)) return () => undefined;
  throw new RangeError(`unknown command operator %${operator}%`);
}

type Part = string | { read: Field; maxLength: number | undefined };

function compileParts(format: string): Part[] {
  return parseAccessLogFormat(format).map((t) => (typeof t === 'string' ? t : { read: field(t.operator, t.argument), maxLength: t.maxLength }));
}

function text(v: Value, maxLength: number | undefined, empty: string): string {
  if (v === undefined || v === '') return empty;
  const s = typeof v === 'number' ? String(v) : v;
  return maxLength !== undefined && s.length > maxLength ? s.slice(0, maxLength) : s;
}

function renderParts(parts: readonly Part[], r: AccessLogRecord, empty: string): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : text(p.read(r), p.maxLength, empty);
  return out;
}

/**
 * Compiles a MeshAccessLog format (Kuma's default for the protocol when none is given). Throws
 * RangeError naming an unknown operator.
 */
export function compileAccessLogFormat(format: AccessLogFormat | undefined, protocol: 'tcp' | 'http'): CompiledAccessLogFormat {
  const f: AccessLogFormat = format ?? { type: 'Plain', plain: protocol === 'http' ? ACCESS_LOG_DEFAULT_HTTP_FORMAT : ACCESS_LOG_DEFAULT_TCP_FORMAT };
  const omit = f.omitEmptyValues === true;
  if (f.type === 'Plain') {
    const parts = compileParts(f.plain);
    const empty = omit ? '' : '-';
    return {
      render(r) {
        const line = renderParts(parts, r, empty);
        return line.endsWith('\n') ? line : `${line}\n`;
      },
    };
  }
  // Envoy's json_format keeps a value that is exactly one numeric operator a number.
  const fields = f.json.map(({ key, value }) => ({ key, parts: compileParts(value) }));
  return {
    render(r) {
      const obj: Record<string, string | number> = {};
      for (const { key, parts } of fields) {
        const only = parts.length === 1 ? parts[0] : undefined;
        if (only !== undefined && typeof only !== 'string') {
          const v = only.read(r);
          if (typeof v === 'number') obj[key] = v;
          else if (v !== undefined && v !== '') obj[key] = text(v, only.maxLength, '-');
          else if (!omit) obj[key] = '-';
          continue;
        }
        const s = renderParts(parts, r, omit ? '' : '-');
        if (!(omit && s === '')) obj[key] = s;
      }
      return `${JSON.stringify(obj)}\n`;
    },
  };
}
