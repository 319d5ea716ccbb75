import type { MeshTimeoutConf } from './schema.ts';

/** A chain's timeouts as the Envoy resources write them; the listener decoder reads them from their fields. */
export interface EnvoyTimeouts {
  /** The cluster's `connect_timeout`, when a MeshTimeout is credited on the chain. */
  connectTimeout?: string | undefined;
  /** `common_http_protocol_options.idle_timeout` (HTTP) or the tcp_proxy's `idle_timeout`. */
  idleTimeout?: string | undefined;
  /** The route's `timeout`; 0s means none. */
  requestTimeout?: string | undefined;
  /** The HCM's `stream_idle_timeout`, or the route's `idle_timeout` that overrides it. */
  streamIdleTimeout?: string | undefined;
  /** The HCM's `request_headers_timeout`. */
  requestHeadersTimeout?: string | undefined;
  /** The HCM's `common_http_protocol_options.max_stream_duration` / `max_connection_duration`. */
  maxStreamDuration?: string | undefined;
  maxConnectionDuration?: string | undefined;
}

/** The MeshTimeout conf the timeout passes run; undefined when no timeout is set. */
export function decodeTimeouts(t: EnvoyTimeouts): MeshTimeoutConf | undefined {
  const request = t.requestTimeout === undefined || t.requestTimeout === '0s' ? undefined : t.requestTimeout;
  const http: NonNullable<MeshTimeoutConf['http']> = {};
  if (request !== undefined) http.requestTimeout = request;
  if (t.streamIdleTimeout !== undefined) http.streamIdleTimeout = t.streamIdleTimeout;
  if (t.requestHeadersTimeout !== undefined) http.requestHeadersTimeout = t.requestHeadersTimeout;
  if (t.maxStreamDuration !== undefined) http.maxStreamDuration = t.maxStreamDuration;
  if (t.maxConnectionDuration !== undefined) http.maxConnectionDuration = t.maxConnectionDuration;
  const hasHttp = Object.keys(http).length > 0;
  if (t.idleTimeout === undefined && !hasHttp && t.connectTimeout === undefined) return undefined;
  return {
    ...(t.connectTimeout !== undefined ? { connectionTimeout: t.connectTimeout } : {}),
    ...(t.idleTimeout !== undefined ? { idleTimeout: t.idleTimeout } : {}),
    ...(hasHttp ? { http } : {}),
  };
}
