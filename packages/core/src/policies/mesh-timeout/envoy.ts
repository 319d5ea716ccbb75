import { compact, duration, ifSet, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { MeshTimeoutConf } from './schema.ts';

// MeshTimeout → HttpProtocolOptions (the route timeout, stream and header timeouts, tcp_proxy idle
// timeout and cluster connect timeout are fields the resource builders in xds/resources.ts set).

/** HttpProtocolOptions (core): connection-level HTTP timeouts. */
export function commonHttpProtocolOptions(conf: MeshTimeoutConf | undefined): EnvoyMessage | undefined {
  if (!conf) return undefined;
  const o = compact({
    idle_timeout: ifSet(conf.idleTimeout, duration),
    max_connection_duration: ifSet(conf.http?.maxConnectionDuration, duration),
    max_stream_duration: ifSet(conf.http?.maxStreamDuration, duration),
  });
  return Object.keys(o).length > 0 ? o : undefined;
}
