import { formatClock, formatHostPort } from '../../lib/format.ts';
import type { Flow } from './api/types.ts';

/**
 * A flow's cells as the flow table shows them. Search matches this same text, so what a user reads
 * in the table (`GET /counter → 403`) is what finds the row.
 */
export function requestText(f: Flow): string {
  if (!f.http) return f.listener;
  const g = f.http.grpc;
  if (g) return `gRPC ${g.service}/${g.method}${g.status !== undefined ? ` → ${grpcStatusText(g.status)}` : ''}`;
  return `${f.http.method} ${f.http.path}${f.http.status !== undefined ? ` → ${f.http.status}` : ''}`;
}

/** gRPC status names (grpc/doc/statuscodes.md), as Envoy's %GRPC_STATUS% prints them. */
const GRPC_STATUS = 'OK CANCELLED UNKNOWN INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND ALREADY_EXISTS PERMISSION_DENIED RESOURCE_EXHAUSTED FAILED_PRECONDITION ABORTED OUT_OF_RANGE UNIMPLEMENTED INTERNAL UNAVAILABLE DATA_LOSS UNAUTHENTICATED'.split(' ');

/** `UNAVAILABLE (14)`. */
export function grpcStatusText(status: number): string {
  return `${GRPC_STATUS[status] ?? 'status'} (${status})`;
}

/**
 * The registry code of a recorded reason: a reason is a code from `GET /api/flow-reasons`,
 * optionally followed by `: ` and a detail for a person (`bad_request: bare LF in the request head`).
 */
export function flowReasonCode(reason: string): string {
  const i = reason.indexOf(':');
  return i < 0 ? reason : reason.slice(0, i);
}

export function policiesText(f: Flow): string {
  return f.policies.map((p) => `${p.name}: ${p.action}`).join(', ');
}

export function directionText(f: Flow): string {
  return f.direction === 'inbound' ? '→ in' : 'out →';
}

/** Everything a search can match: the table's cells, then what the drawer shows (ids, request id, listener, reason). */
export function searchableText(f: Flow): string {
  return [
    formatClock(f.start),
    f.dataplane,
    directionText(f),
    f.direction,
    formatHostPort(f.client.address, f.client.port),
    formatHostPort(f.destination.address, f.destination.port),
    f.upstream ? formatHostPort(f.upstream.address, f.upstream.port) : '',
    f.protocol,
    requestText(f),
    f.http ? `${f.http.authority}${f.http.path} ${f.http.requestId}` : '',
    f.verdict,
    policiesText(f),
    ...f.policies.map((p) => p.type),
    f.id,
    f.connectionId,
    f.listener,
    f.cluster,
    f.reason ?? '',
  ].join('\n');
}
