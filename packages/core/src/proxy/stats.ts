/**
 * Envoy-named counters. Each listener, cluster and HTTP connection manager gets one plain object
 * whose fields are incremented directly on the data path (no map lookup, no string building per
 * event); names are only assembled when someone reads `/stats`.
 */

export class ListenerCounters {
  downstream_cx_total = 0;
  downstream_cx_active = 0;
  downstream_cx_destroy = 0;
  /** Connections handed to this listener by a capture listener (use_original_dst). */
  downstream_cx_handed_off = 0;
  /** Connections refused because they came back from the proxy itself (a capture loop). */
  downstream_cx_redirect_loop = 0;
  /** Connections whose original destination could not be read. */
  downstream_cx_no_original_dst = 0;
  /** Connections a TCP pass (e.g. a traffic permission) closed before any upstream. */
  downstream_cx_denied = 0;
  /** Completion hooks (`onClose`/`onComplete`, e.g. an access log) that threw; the flow was still published. */
  pass_completion_errors = 0;
  /** Raw TCP connections relayed in C (the native relay) and through Node streams (TLS, fallback). */
  downstream_cx_relay_native = 0;
  downstream_cx_relay_stream = 0;
}

export class ClusterCounters {
  upstream_cx_total = 0;
  upstream_cx_active = 0;
  upstream_cx_connect_fail = 0;
  upstream_cx_connect_timeout = 0;
  upstream_cx_none_healthy = 0;
  upstream_cx_destroy_local = 0;
  upstream_cx_destroy_remote = 0;
  upstream_cx_idle_timeout = 0;
  upstream_cx_rx_bytes_total = 0;
  upstream_cx_tx_bytes_total = 0;
  upstream_rq_total = 0;
  upstream_rq_1xx = 0;
  upstream_rq_2xx = 0;
  upstream_rq_3xx = 0;
  upstream_rq_4xx = 0;
  upstream_rq_5xx = 0;
  upstream_rq_timeout = 0;
  upstream_rq_retry = 0;
  upstream_rq_pending_failure_eject = 0;
  /** Circuit breakers: max_requests or max_pending_requests reached (Envoy counts both here). */
  upstream_rq_pending_overflow = 0;
  upstream_rq_retry_overflow = 0;
  /** max_connections reached: the request waited for a connection (or overflowed). */
  upstream_cx_overflow = 0;
  /** Upstream mTLS, Envoy's `cluster.<name>.ssl.*`: handshakes done, of them resumed, and failed. */
  'ssl.handshake' = 0;
  'ssl.session_reused' = 0;
  'ssl.connection_error' = 0;
}

export class HttpCounters {
  downstream_cx_total = 0;
  downstream_cx_active = 0;
  downstream_cx_upgrades_total = 0;
  downstream_cx_protocol_error = 0;
  downstream_rq_total = 0;
  downstream_rq_active = 0;
  downstream_rq_1xx = 0;
  downstream_rq_2xx = 0;
  downstream_rq_3xx = 0;
  downstream_rq_4xx = 0;
  downstream_rq_5xx = 0;
  downstream_rq_completed = 0;
  rq_direct_response = 0;
  /** Connections drained at max_connection_duration (Envoy's downstream_cx_max_duration_reached). */
  downstream_cx_max_duration_reached = 0;
  /** Requests ended by stream_idle_timeout / max_stream_duration. */
  downstream_rq_idle_timeout = 0;
  downstream_rq_max_duration_reached = 0;
  downstream_cx_http2_total = 0;
  downstream_cx_http2_active = 0;
  /** HTTP/2 streams the client reset (RST_STREAM) before they completed. */
  downstream_rq_rx_reset = 0;
  /** HTTP/2 connections drained because most of their streams were reset early (rapid reset). */
  downstream_rq_too_many_premature_resets = 0;
}

/** Counter names that are gauges (they go down too). */
const GAUGES = new Set(['downstream_cx_active', 'downstream_cx_http2_active', 'upstream_cx_active', 'downstream_rq_active', 'live', 'uptime', 'concurrency', 'running']);

export type StatValue = { name: string; value: number; gauge: boolean };

/** A read-time value by its full name (a gauge when its last part is a gauge's name). */
export function statValue(name: string, value: number): StatValue {
  return { name, value, gauge: isGaugeName(name) };
}

function isGaugeName(name: string): boolean {
  return GAUGES.has(name.slice(name.lastIndexOf('.') + 1));
}

/** One engine thread's counters as plain data, for `postMessage` (dp --workers): by group, by stat name, by field. */
export interface StatSnapshot {
  listener: Record<string, Record<string, number>>;
  cluster: Record<string, Record<string, number>>;
  http: Record<string, Record<string, number>>;
  /** The read-time values (`define`) and the policies' stats, by full name. */
  values: Record<string, number>;
}

/** What the threads of a dataplane report to the one that serves its admin (see `DataplaneHandle.setWorkerStats`). */
export interface WorkerStats {
  /** 0-based slot; a restarted worker keeps its slot. */
  worker: number;
  running: boolean;
  restarts: number;
  /** Flows the worker could not hand over because its queue was full. */
  flowsDropped: number;
  stats: StatSnapshot;
}

type Groups = 'listener' | 'cluster' | 'http';
const GROUPS: readonly Groups[] = ['listener', 'cluster', 'http'];

/** Field-wise sum; gauges (the `_active` counts) only when `gauges`, as a stopped thread holds nothing open. */
export function sumStatSnapshots(list: readonly StatSnapshot[], gauges = true): StatSnapshot {
  const out: StatSnapshot = { listener: {}, cluster: {}, http: {}, values: {} };
  for (const snap of list) {
    for (const g of GROUPS) {
      for (const [name, fields] of Object.entries(snap[g])) {
        const into = (out[g][name] ??= {});
        for (const [field, value] of Object.entries(fields)) into[field] = (into[field] ?? 0) + (gauges || !GAUGES.has(field) ? value : 0);
      }
    }
    for (const [name, value] of Object.entries(snap.values)) {
      out.values[name] = (out.values[name] ?? 0) + (gauges || !isGaugeName(name) ? value : 0);
    }
  }
  return out;
}

/** Adds a group's counters to `out` as `/stats` names them, `<group>.<name>.<field>`. */
function pushCounters(out: StatValue[], group: Groups, entries: Iterable<[string, object]>): void {
  for (const [name, counters] of entries) {
    for (const [field, value] of Object.entries(counters)) {
      if (typeof value === 'number') out.push({ name: `${group}.${name}.${field}`, value, gauge: GAUGES.has(field) });
    }
  }
}

/** A snapshot's stats as `/stats` lists them, sorted by name. */
export function statSnapshotValues(snap: StatSnapshot): StatValue[] {
  const out: StatValue[] = [];
  for (const g of GROUPS) pushCounters(out, g, Object.entries(snap[g]));
  for (const [name, value] of Object.entries(snap.values)) out.push(statValue(name, value));
  return sortStats(out);
}

/** By name, as Envoy's `/stats` lists them. */
export function sortStats(out: StatValue[]): StatValue[] {
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Adds 1 to the `<prefix>_Nxx` field for a status code. */
export function countStatusClass(counters: HttpCounters, status: number): void {
  const cls = Math.floor(status / 100);
  if (cls === 2) counters.downstream_rq_2xx++;
  else if (cls === 5) counters.downstream_rq_5xx++;
  else if (cls === 4) counters.downstream_rq_4xx++;
  else if (cls === 3) counters.downstream_rq_3xx++;
  else if (cls === 1) counters.downstream_rq_1xx++;
}

export function countUpstreamStatusClass(counters: ClusterCounters, status: number): void {
  const cls = Math.floor(status / 100);
  if (cls === 2) counters.upstream_rq_2xx++;
  else if (cls === 5) counters.upstream_rq_5xx++;
  else if (cls === 4) counters.upstream_rq_4xx++;
  else if (cls === 3) counters.upstream_rq_3xx++;
  else if (cls === 1) counters.upstream_rq_1xx++;
}

/** All counters of one dataplane. Counters live for the process: a config update keeps them (as Envoy does per name). */
export class ProxyStats {
  readonly started = Date.now();
  readonly listeners = new Map<string, ListenerCounters>();
  readonly clusters = new Map<string, ClusterCounters>();
  readonly http = new Map<string, HttpCounters>();
  /** Extra values computed at read time (flow buffer, server state). */
  private readonly extra = new Map<string, () => number>();

  listener(statName: string): ListenerCounters {
    let c = this.listeners.get(statName);
    if (!c) this.listeners.set(statName, (c = new ListenerCounters()));
    return c;
  }

  cluster(statName: string): ClusterCounters {
    let c = this.clusters.get(statName);
    if (!c) this.clusters.set(statName, (c = new ClusterCounters()));
    return c;
  }

  httpPrefix(prefix: string): HttpCounters {
    let c = this.http.get(prefix);
    if (!c) this.http.set(prefix, (c = new HttpCounters()));
    return c;
  }

  /** Registers a value read when stats are rendered, e.g. `server.live`. */
  define(name: string, read: () => number): void {
    this.extra.set(name, read);
  }

  /** Every stat, sorted by name, as Envoy's `/stats` lists them. */
  values(): StatValue[] {
    const out: StatValue[] = [];
    pushCounters(out, 'listener', this.listeners);
    pushCounters(out, 'cluster', this.clusters);
    pushCounters(out, 'http', this.http);
    for (const [name, read] of this.extra) out.push(statValue(name, read()));
    return sortStats(out);
  }

  /** The counters as plain data; `values` are the read-time ones except those named in `skip`. */
  snapshot(skip: (name: string) => boolean): StatSnapshot {
    const copy = (group: Map<string, object>): Record<string, Record<string, number>> => {
      const out: Record<string, Record<string, number>> = {};
      for (const [name, counters] of group) out[name] = { ...(counters as Record<string, number>) };
      return out;
    };
    const values: Record<string, number> = {};
    for (const [name, read] of this.extra) if (!skip(name)) values[name] = read();
    return { listener: copy(this.listeners), cluster: copy(this.clusters), http: copy(this.http), values };
  }

  /**
   * Makes the counters the given sums (a thread that serves no traffic itself, showing its
   * workers' totals: counters that exist here but in no worker go to 0).
   */
  loadSums(sum: StatSnapshot): void {
    const load = <T extends object>(group: Map<string, T>, from: Record<string, Record<string, number>>, make: (name: string) => T): void => {
      for (const name of Object.keys(from)) make(name);
      for (const [name, counters] of group) {
        const fields = from[name];
        const target = counters as Record<string, number>;
        for (const field of Object.keys(target)) if (typeof target[field] === 'number') target[field] = fields?.[field] ?? 0;
      }
    };
    load(this.listeners, sum.listener, (n) => this.listener(n));
    load(this.clusters, sum.cluster, (n) => this.cluster(n));
    load(this.http, sum.http, (n) => this.httpPrefix(n));
  }
}

/** Envoy's text format: `name: value` per line. `filter` is a regex on the name (Envoy's `?filter=`). */
export function renderStatsText(values: readonly StatValue[], filter?: RegExp): string {
  let out = '';
  for (const v of values) if (!filter || filter.test(v.name)) out += `${v.name}: ${v.value}\n`;
  return out;
}

export function renderStatsJson(values: readonly StatValue[], filter?: RegExp): { stats: Array<{ name: string; value: number }> } {
  return { stats: values.filter((v) => !filter || filter.test(v.name)).map(({ name, value }) => ({ name, value })) };
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

const CODE_CLASS = /^(downstream_rq|upstream_rq)_([1-5])xx$/;

/**
 * Prometheus text exposition with Envoy's tag extraction: `listener.X.f` →
 * `envoy_listener_f{envoy_listener_address="X"}`, `cluster.X.f` → `envoy_cluster_f{envoy_cluster_name="X"}`,
 * `http.X.f` → `envoy_http_f{envoy_http_conn_manager_prefix="X"}`, and `…_2xx` →
 * `…_xx{envoy_response_code_class="2",…}`.
 */
export function renderStatsPrometheus(values: readonly StatValue[]): string {
  const families = new Map<string, { gauge: boolean; samples: string[] }>();
  for (const v of values) {
    let metric: string;
    const labels: string[] = [];
    const first = v.name.indexOf('.');
    const last = v.name.lastIndexOf('.');
    const scope = v.name.slice(0, first);
    let field = v.name.slice(last + 1);
    const tag = { listener: 'envoy_listener_address', cluster: 'envoy_cluster_name', http: 'envoy_http_conn_manager_prefix' }[scope];
    if (tag && first !== last) {
      const m = CODE_CLASS.exec(field);
      if (m) {
        field = `${m[1]}_xx`;
        labels.push(`envoy_response_code_class="${m[2]}"`);
      }
      labels.push(`${tag}="${escapeLabel(v.name.slice(first + 1, last))}"`);
      metric = `envoy_${scope}_${field}`;
    } else {
      metric = `envoy_${v.name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    }
    let family = families.get(metric);
    if (!family) families.set(metric, (family = { gauge: v.gauge, samples: [] }));
    family.samples.push(`${metric}${labels.length ? `{${labels.join(',')}}` : ''} ${v.value}`);
  }
  let out = '';
  for (const [metric, family] of families) {
    out += `# TYPE ${metric} ${family.gauge ? 'gauge' : 'counter'}\n${family.samples.join('\n')}\n`;
  }
  return out;
}
