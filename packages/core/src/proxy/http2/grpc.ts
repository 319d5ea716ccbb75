/**
 * gRPC over HTTP/2 as the proxy sees it: which requests are gRPC calls, their service and method,
 * their deadline (`grpc-timeout`), and how a local reply is said in gRPC (a trailers-only response,
 * as Envoy's local reply does for gRPC requests).
 */

/** Status codes by number (grpc/doc/statuscodes.md); `%GRPC_STATUS%` prints these names, as Envoy does. */
const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const GRPC_DEADLINE_EXCEEDED = 4;

export function grpcStatusName(status: number | undefined): string | undefined {
  if (status === undefined) return undefined;
  return STATUS_NAMES[status] ?? String(status);
}

/** Envoy's Grpc::Utility::httpToGrpcStatus (grpc/doc/http-grpc-status-mapping.md): the grpc-status of a local reply with this HTTP status. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

export function isGrpc(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc');
}

/** `/pkg.Service/Method` → service and method; a path of another shape keeps it whole as the method. */
export function grpcCallOf(path: string): { service: string; method: string } {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  const slash = p.indexOf('/', 1);
  if (p.charCodeAt(0) !== 47 || slash < 0) return { service: '', method: p };
  return { service: p.slice(1, slash), method: p.slice(slash + 1) };
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` (1–8 digits and a unit, PROTOCOL-HTTP2.md) in ms; undefined when absent or malformed (then ignored, as gRPC servers do). */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = TIMEOUT_UNIT_MS[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  // A deadline under 1 ms still expires: never 0, which would mean "no timeout".
  return Math.max(1, Math.ceil(Number(digits) * unit));
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md); anything not printable ASCII or `%` is. */
export function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message).replace(/%20/g, ' ');
}

export function decodeGrpcMessage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
