import type { MeshTimeoutConf } from './schema.ts';

/** A chain's timeouts as the Envoy resources write them; the listener decoder reads them from their fields. */
export interface EnvoyTimeouts {
  /** The cluster's `connect_timeout`, when a MeshTimeout is credited on the chain. */
  connectTimeout?: string | undefined;
  /** `common_http_protocol_options.idle_timeout` (HTTP) or the tcp_proxy's `idle_timeout`. */
  idleTimeout?: string | undefined;
  /** The route's `timeout`; 0s means none. */
  requestTimeout?: string | undefined;
}

/** The MeshTimeout conf the timeout passes run; undefined when no timeout is set. */
export function decodeTimeouts(t: EnvoyTimeouts): MeshTimeoutConf | undefined {
  const request = t.requestTimeout === undefined || t.requestTimeout === '0s' ? undefined : t.requestTimeout;
  if (t.idleTimeout === undefined && request === undefined && t.connectTimeout === undefined) return undefined;
  return {
    ...(t.connectTimeout !== undefined ? { connectionTimeout: t.connectTimeout } : {}),
    ...(t.idleTimeout !== undefined ? { idleTimeout: t.idleTimeout } : {}),
    ...(request !== undefined ? { http: { requestTimeout: request } } : {}),
  };
}
