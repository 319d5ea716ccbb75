import { ENVOY_TYPES } from '../../xds/envoy-json.ts';
import { duration, fields, fractionalPercent, int, reject, typed } from '../../proxy/xds-config/reader.ts';
import type { MeshFaultInjectionConf } from './schema.ts';

type Fault = NonNullable<MeshFaultInjectionConf['http']>[number];

/** `envoy.filters.http.fault` back into the MeshFaultInjection entry the fault pass runs (one filter, one entry). */
export function decodeFaultFilter(config: unknown, where: string): Fault {
  const c = typed(config, where, ENVOY_TYPES.httpFault, ['delay', 'abort', 'response_rate_limit']);
  const fault: Fault = {};
  if (c['delay'] !== undefined) {
    const d = fields(c['delay'], `${where}.delay`, ['fixed_delay', 'percentage']);
    fault.delay = { value: duration(d['fixed_delay'], `${where}.delay.fixed_delay`).text, percentage: fractionalPercent(d['percentage'], `${where}.delay.percentage`) };
  }
  if (c['abort'] !== undefined) {
    const a = fields(c['abort'], `${where}.abort`, ['http_status', 'grpc_status', 'percentage']);
    if ((a['http_status'] === undefined) === (a['grpc_status'] === undefined)) reject(`${where}.abort`, 'needs exactly one of http_status or grpc_status');
    const percentage = fractionalPercent(a['percentage'], `${where}.abort.percentage`);
    fault.abort = a['grpc_status'] !== undefined ? { grpcStatus: int(a['grpc_status'], `${where}.abort.grpc_status`), percentage } : { httpStatus: int(a['http_status'], `${where}.abort.http_status`), percentage };
  }
  if (c['response_rate_limit'] !== undefined) {
    const r = fields(c['response_rate_limit'], `${where}.response_rate_limit`, ['fixed_limit', 'percentage']);
    const fixed = fields(r['fixed_limit'], `${where}.response_rate_limit.fixed_limit`, ['limit_kbps']);
    fault.responseBandwidth = {
      limit: `${int(fixed['limit_kbps'], `${where}.response_rate_limit.fixed_limit.limit_kbps`)}kbps`,
      percentage: fractionalPercent(r['percentage'], `${where}.response_rate_limit.percentage`),
    };
  }
  return fault;
}
