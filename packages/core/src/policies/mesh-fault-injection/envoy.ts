import { compact, duration, ENVOY_FILTERS, ENVOY_TYPES, fractionalPercent, ifSet, typedExtension, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { bandwidthToBitsPerSecond, type MeshFaultInjectionConf } from './schema.ts';

// MeshFaultInjection → envoy.filters.http.fault, as Kuma generates it.

/**
 * One fault filter per entry of `http[]`, in order. Which clients get which faults is decided by
 * the filter chain (matched on the client's source address), so the filters apply to everyone.
 */
export function faultFilters(conf: MeshFaultInjectionConf): EnvoyMessage[] {
  return (conf.http ?? []).map((f) =>
    typedExtension(
      ENVOY_FILTERS.fault,
      ENVOY_TYPES.httpFault,
      compact({
        delay: ifSet(f.delay, (d) => ({ fixed_delay: duration(d.value), percentage: fractionalPercent(d.percentage) })),
        // Field-number order, as Envoy prints it: http_status 2, percentage 3, grpc_status 5.
        abort: ifSet(f.abort, (a) => (a.grpcStatus !== undefined ? { percentage: fractionalPercent(a.percentage), grpc_status: a.grpcStatus } : { http_status: a.httpStatus, percentage: fractionalPercent(a.percentage) })),
        response_rate_limit: ifSet(f.responseBandwidth, (b) => ({
          // uint64 prints as a string; Envoy needs at least 1 kbps.
          fixed_limit: { limit_kbps: String(Math.max(1, Math.ceil(bandwidthToBitsPerSecond(b.limit) / 1000))) },
          percentage: fractionalPercent(b.percentage),
        })),
      }),
    ),
  );
}
