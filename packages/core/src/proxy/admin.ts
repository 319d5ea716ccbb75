import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeshcapError } from '../errors.ts';
import type { FlowLog } from '../flows/index.ts';
import { renderStatsJson, renderStatsPrometheus, renderStatsText, type StatValue } from './stats.ts';

/** Builds `/config_dump` (the xds area registers one); gets Envoy's query parameters. */
export type ConfigDumpProvider = (query: URLSearchParams) => unknown;

export interface ListenerStatus {
  name: string;
  address: string;
  port: number;
  /** False for listeners reached only by hand-off from a capture listener (Envoy `bind_to_port: false`). */
  bound: boolean;
  direction: 'inbound' | 'outbound';
  protocol: 'tcp' | 'http';
  capture: 'redirect' | 'tproxy' | 'explicit';
  useOriginalDst: boolean;
  transparent: boolean;
  cluster: string;
  downstreamCxTotal: number;
  downstreamCxActive: number;
}

export interface ClusterStatus {
  name: string;
  kind: 'static' | 'original_dst' | 'service';
  /** `healthFlags` as Envoy prints them: `healthy`, or `/failed_active_hc`, `/failed_outlier_check`, `/pending_active_hc`. */
  endpoints: Array<{ address: string; port: number; healthFlags: string; rqTotal: number; rqError: number }>;
  /** The circuit breakers in force (Envoy's defaults unless MeshCircuitBreaker sets them). */
  limits: { maxConnections: number; maxPendingRequests: number; maxRequests: number; maxRetries: number };
  stats: Record<string, number>;
}

/** What the admin server reads from the engine. */
export interface AdminSource {
  /** `LIVE` when serving, `PRE_INITIALIZING` before, `DRAINING` while stopping (Envoy's states). */
  state(): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING';
  info(): Record<string, unknown>;
  statValues(): StatValue[];
  listeners(): ListenerStatus[];
  clusters(): ClusterStatus[];
  readonly flows: FlowLog;
  configDump(): ConfigDumpProvider | undefined;
  /** With worker threads (dp --workers): each one's own figures, listed by `/stats?format=json` beside the sums. */
  workers?(): Array<{ stats: StatValue[] } & Record<string, unknown>> | undefined;
}

export interface AdminServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const ENDPOINTS: Record<string, string> = {
  '/ready': 'LIVE when the dataplane serves traffic (503 otherwise)',
  '/server_info': 'dataplane, version, state, uptime',
  '/stats': 'counters in Envoy naming (?format=json, ?filter=REGEX)',
  '/stats/prometheus': 'counters in Prometheus text format with Envoy tags',
  '/listeners': 'listeners and their addresses (?format=json)',
  '/clusters': 'clusters, endpoints and counters (?format=json)',
  '/flows': 'recent flows, newest first, as JSON (?limit=N)',
  '/config_dump': 'Envoy v3 admin config dump',
};

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, max-age=0' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

function listenersText(list: ListenerStatus[]): string {
  return list.map((l) => `${l.name}::${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}\n`).join('');
}

function listenersJson(list: ListenerStatus[]): unknown {
  return {
    listener_statuses: list.map((l) => ({
      name: l.name,
      local_address: { socket_address: { address: l.address, port_value: l.port } },
      bind_to_port: l.bound,
      use_original_dst: l.useOriginalDst,
      transparent: l.transparent,
      traffic_direction: l.direction.toUpperCase(),
      protocol: l.protocol,
      capture: l.capture,
      cluster: l.cluster,
      downstream_cx_total: l.downstreamCxTotal,
      downstream_cx_active: l.downstreamCxActive,
    })),
  };
}

function clustersText(list: ClusterStatus[]): string {
  let out = '';
  for (const c of list) {
    out += `${c.name}::type::${c.kind.toUpperCase()}\n`;
    const l = c.limits;
    out += `${c.name}::default_priority::max_connections::${l.maxConnections}\n${c.name}::default_priority::max_pending_requests::${l.maxPendingRequests}\n`;
    out += `${c.name}::default_priority::max_requests::${l.maxRequests}\n${c.name}::default_priority::max_retries::${l.maxRetries}\n`;
    for (const e of c.endpoints) {
      const host = `${c.name}::${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`;
      out += `${host}::rq_total::${e.rqTotal}\n${host}::rq_error::${e.rqError}\n${host}::health_flags::${e.healthFlags}\n`;
    }
    for (const [k, v] of Object.entries(c.stats)) out += `${c.name}::${k}::${v}\n`;
  }
  return out;
}

/** Envoy's HostHealthStatus from the flags. */
function healthStatusJson(flags: string): Record<string, unknown> {
  return {
    eds_health_status: 'HEALTHY',
    ...(flags.includes('/failed_active_hc') ? { failed_active_health_check: true } : {}),
    ...(flags.includes('/failed_outlier_check') ? { failed_outlier_check: true } : {}),
    ...(flags.includes('/pending_active_hc') ? { pending_active_hc: true } : {}),
  };
}

function clustersJson(list: ClusterStatus[]): unknown {
  return {
    cluster_statuses: list.map((c) => ({
      name: c.name,
      type: c.kind.toUpperCase(),
      added_via_api: true,
      circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: c.limits.maxConnections, max_pending_requests: c.limits.maxPendingRequests, max_requests: c.limits.maxRequests, max_retries: c.limits.maxRetries }] },
      host_statuses: c.endpoints.map((e) => ({
        address: { socket_address: { address: e.address, port_value: e.port } },
        stats: [
          { name: 'rq_total', value: String(e.rqTotal), type: 'COUNTER' },
          { name: 'rq_error', value: String(e.rqError), type: 'COUNTER' },
        ],
        health_status: healthStatusJson(e.healthFlags),
      })),
      stats: Object.entries(c.stats).map(([name, value]) => ({ name, value: String(value), type: name.endsWith('_active') ? 'GAUGE' : 'COUNTER' })),
    })),
  };
}

function filterOf(query: URLSearchParams): RegExp | undefined | Error {
  const f = query.get('filter');
  if (f === null || f === '') return undefined;
  try {
    return new RegExp(f);
  } catch {
    return new Error(`filter: invalid regular expression ${JSON.stringify(f)}`);
  }
}

async function handle(source: AdminSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const q = url.searchParams;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, `method ${req.method} not allowed; the admin endpoints are read-only\n`);
    return;
  }
  const json = q.get('format') === 'json';
  switch (url.pathname) {
    case '/':
      send(res, 200, `meshcap dataplane admin\n${Object.entries(ENDPOINTS).map(([p, d]) => `  ${p.padEnd(18)} ${d}`).join('\n')}\n`);
      return;
    case '/ready': {
      const state = source.state();
      send(res, state === 'LIVE' ? 200 : 503, `${state}\n`);
      return;
    }
    case '/server_info':
      sendJson(res, 200, source.info());
      return;
    case '/stats': {
      const filter = filterOf(q);
      if (filter instanceof Error) return send(res, 400, `${filter.message}\n`);
      if (json) {
        const workers = source.workers?.()?.map((w) => ({ ...w, stats: renderStatsJson(w.stats, filter).stats }));
        sendJson(res, 200, workers ? { ...renderStatsJson(source.statValues(), filter), workers } : renderStatsJson(source.statValues(), filter));
      }
      else send(res, 200, renderStatsText(source.statValues(), filter));
      return;
    }
    case '/stats/prometheus':
      send(res, 200, renderStatsPrometheus(source.statValues()), 'text/plain; version=0.0.4; charset=utf-8');
      return;
    case '/listeners':
      if (json) sendJson(res, 200, listenersJson(source.listeners()));
      else send(res, 200, listenersText(source.listeners()));
      return;
    case '/clusters':
      if (json) sendJson(res, 200, clustersJson(source.clusters()));
      else send(res, 200, clustersText(source.clusters()));
      return;
    case '/flows': {
      const raw = q.get('limit');
      const limit = raw === null ? 100 : Number(raw);
      if (!Number.isInteger(limit) || limit < 0) return send(res, 400, `limit: must be a non-negative integer, got ${JSON.stringify(raw)}\n`);
      sendJson(res, 200, { flows: source.flows.recent(limit), buffer: source.flows.stats() });
      return;
    }
    case '/config_dump': {
      const provider = source.configDump();
      if (!provider) return send(res, 503, 'config_dump is not available: no config dump provider is registered\n');
      // Envoy prints its admin JSON with one-space indentation; bad query parameters are the caller's error.
      try {
        send(res, 200, `${JSON.stringify(await provider(q), null, 1)}\n`, 'application/json');
      } catch (err) {
        if (!(err instanceof MeshcapError)) throw err;
        send(res, err.status, `${err.message}\n`);
      }
      return;
    }
    default:
      send(res, 404, `no such admin endpoint ${url.pathname}; see /\n`);
  }
}

/** Envoy-style admin endpoints on `address:port` (127.0.0.1:9901 by default, in the dataplane's namespace). */
export async function startAdmin(source: AdminSource, address: string, port: number): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    handle(source, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `admin error: ${(err as Error)?.message ?? String(err)}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
