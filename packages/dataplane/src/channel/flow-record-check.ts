import { isFlowReason, type FlowRecord } from '@meshcap/core';
import { flowRecordSchema } from './protocol.ts';

/**
 * `flowRecordSchema.safeParse(raw)` for the control plane's hot path, written out by hand: every
 * flow of every batch is checked, and zod's generic walk was half of the cp's batch handling in a
 * `--cpu-prof` of bench/flow-channel-loopback.ts; warm, in a loop, 0.7 µs a flow against 0.1 µs
 * for this. Same answer on every JSON value, as zod's: the record with
 * unknown keys stripped, or undefined (flow-record-check.test.ts holds the two together with
 * fast-check, so they cannot drift). Why a record was refused is `flowRecordIssue`'s (zod's) to say:
 * the cold path.
 */
export function checkFlowRecord(raw: unknown): FlowRecord | undefined {
  if (!isObject(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const { id, connectionId, start, mesh, dataplane, direction, listener, cluster, capture, protocol, verdict, reason, close } = r;
  if (typeof id !== 'string' || id.length < 1 || id.length > 200) return undefined;
  if (typeof connectionId !== 'string' || connectionId.length > 200) return undefined;
  if (!isNumber(start) || typeof mesh !== 'string' || typeof dataplane !== 'string') return undefined;
  if (direction !== 'inbound' && direction !== 'outbound') return undefined;
  if (typeof listener !== 'string' || typeof cluster !== 'string') return undefined;
  if (capture !== 'redirect' && capture !== 'tproxy' && capture !== 'explicit') return undefined;
  if (protocol !== 'tcp' && protocol !== 'http') return undefined;
  const client = address(r['client']);
  const destination = address(r['destination']);
  if (!client || !destination) return undefined;
  let upstream: FlowRecord['upstream'];
  if (r['upstream'] !== undefined && !(upstream = address(r['upstream']))) return undefined;
  const b = r['bytes'];
  if (!isObject(b) || !isNumber(b['fromClient']) || !isNumber(b['toClient'])) return undefined;
  let http: FlowRecord['http'];
  if (r['http'] !== undefined && !(http = httpPart(r['http']))) return undefined;
  const t = r['timings'];
  if (!isObject(t) || !optionalNumber(t['connectMs']) || !optionalNumber(t['firstByteMs']) || !isNumber(t['totalMs'])) return undefined;
  if (verdict !== 'forwarded' && verdict !== 'denied' && verdict !== 'faulted' && verdict !== 'error') return undefined;
  if (reason !== undefined && (typeof reason !== 'string' || !isFlowReason(reason))) return undefined;
  if (close !== undefined && close !== 'fin' && close !== 'client_reset' && close !== 'upstream_reset' && close !== 'idle_timeout' && close !== 'local' && close !== 'drain') return undefined;
  const policies = policiesPart(r['policies']);
  if (!policies) return undefined;
  let tls: FlowRecord['tls'];
  if (r['tls'] !== undefined && !(tls = tlsPart(r['tls']))) return undefined;

  // Keys in the schema's order, optional ones only when present (as zod gives them back).
  const out: Record<string, unknown> = { id, connectionId, start, mesh, dataplane, direction, listener, cluster, capture, protocol, client, destination };
  if ('upstream' in r) out['upstream'] = upstream;
  out['bytes'] = { fromClient: b['fromClient'], toClient: b['toClient'] };
  if ('http' in r) out['http'] = http;
  const timings: Record<string, unknown> = {};
  if ('connectMs' in t) timings['connectMs'] = t['connectMs'];
  if ('firstByteMs' in t) timings['firstByteMs'] = t['firstByteMs'];
  timings['totalMs'] = t['totalMs'];
  out['timings'] = timings;
  out['verdict'] = verdict;
  if ('reason' in r) out['reason'] = reason;
  if ('close' in r) out['close'] = close;
  out['policies'] = policies;
  if ('tls' in r) out['tls'] = tls;
  return out as unknown as FlowRecord;
}

/** Where and why `raw` is not a flow record (`http.status: Invalid input: expected int, received number`); undefined if it is one. */
export function flowRecordIssue(raw: unknown): string | undefined {
  const parsed = flowRecordSchema.safeParse(raw);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** z.number(): finite. */
function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** z.number().int(): a safe integer. */
function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function optionalNumber(v: unknown): boolean {
  return v === undefined || isNumber(v);
}

function optionalString(v: unknown, max = Infinity): boolean {
  return v === undefined || (typeof v === 'string' && v.length <= max);
}

function address(v: unknown): { address: string; port: number } | undefined {
  if (!isObject(v)) return undefined;
  const { address, port } = v;
  return typeof address === 'string' && isInt(port) ? { address, port } : undefined;
}

function httpPart(v: unknown): FlowRecord['http'] {
  if (!isObject(v)) return undefined;
  const { method, authority, path, status, requestBytes, responseBytes, requestId, upgraded, attempts, version } = v;
  if (typeof method !== 'string' || typeof authority !== 'string' || typeof path !== 'string') return undefined;
  if ((status !== undefined && !isInt(status)) || !isNumber(requestBytes) || !isNumber(responseBytes) || typeof requestId !== 'string') return undefined;
  if ((upgraded !== undefined && typeof upgraded !== 'boolean') || !isInt(attempts) || (version !== undefined && version !== 'HTTP/2')) return undefined;
  let grpc: Record<string, unknown> | undefined;
  if (v['grpc'] !== undefined) {
    const g = v['grpc'];
    if (!isObject(g) || typeof g['service'] !== 'string' || typeof g['method'] !== 'string' || (g['status'] !== undefined && !isInt(g['status'])) || !optionalString(g['message'])) return undefined;
    grpc = { service: g['service'], method: g['method'] };
    if ('status' in g) grpc['status'] = g['status'];
    if ('message' in g) grpc['message'] = g['message'];
  }
  const out: Record<string, unknown> = { method, authority, path };
  if ('status' in v) out['status'] = status;
  out['requestBytes'] = requestBytes;
  out['responseBytes'] = responseBytes;
  out['requestId'] = requestId;
  if ('upgraded' in v) out['upgraded'] = upgraded;
  out['attempts'] = attempts;
  if ('version' in v) out['version'] = version;
  if ('grpc' in v) out['grpc'] = grpc;
  return out as unknown as FlowRecord['http'];
}

function policiesPart(v: unknown): FlowRecord['policies'] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: FlowRecord['policies'] = [];
  for (const p of v as unknown[]) {
    if (!isObject(p) || typeof p['type'] !== 'string' || typeof p['name'] !== 'string' || typeof p['action'] !== 'string') return undefined;
    out.push({ type: p['type'], name: p['name'], action: p['action'] });
  }
  return out;
}

function tlsPart(v: unknown): FlowRecord['tls'] {
  if (!isObject(v)) return undefined;
  const { mode, verified, peer, version, cipher } = v;
  if ((mode !== 'mtls' && mode !== 'plaintext') || typeof verified !== 'boolean') return undefined;
  if (peer !== undefined && (!Array.isArray(peer) || peer.length > 64 || !(peer as unknown[]).every((s) => typeof s === 'string' && s.length <= 2048))) return undefined;
  if (!optionalString(version, 50) || !optionalString(cipher, 200)) return undefined;
  const out: Record<string, unknown> = { mode, verified };
  if ('peer' in v) out['peer'] = peer === undefined ? undefined : [...(peer as string[])];
  if ('version' in v) out['version'] = version;
  if ('cipher' in v) out['cipher'] = cipher;
  return out as unknown as FlowRecord['tls'];
}
