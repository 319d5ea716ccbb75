import { compact, ENVOY_FILTERS, ENVOY_TYPES, typedExtension, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { ACCESS_LOG_DEFAULT_HTTP_FORMAT, ACCESS_LOG_DEFAULT_TCP_FORMAT, type AccessLogFormat, type MeshAccessLogConf } from './schema.ts';

// MeshAccessLog → access loggers (envoy.access_loggers.file) on the HCM or tcp_proxy, as Kuma generates them.

export interface AccessLogContext {
  mesh: string;
  direction: 'inbound' | 'outbound';
  /** The dataplane's own service (first inbound). */
  localService?: string;
  /** The service on the other side (outbound), or the inbound's own. */
  destinationService?: string;
  protocol: 'tcp' | 'http';
}

/** Kuma fills its own placeholders in when it generates Envoy config; Envoy would refuse them. */
function substituteKumaOperators(text: string, ctx: AccessLogContext): string {
  const values: Record<string, string> = {
    KUMA_MESH: ctx.mesh,
    KUMA_SOURCE_ADDRESS: '%DOWNSTREAM_REMOTE_ADDRESS%',
    KUMA_SOURCE_ADDRESS_WITHOUT_PORT: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
    KUMA_SOURCE_SERVICE: ctx.direction === 'outbound' ? (ctx.localService ?? 'unknown') : 'unknown',
    KUMA_DESTINATION_SERVICE: ctx.destinationService ?? 'unknown',
    KUMA_TRAFFIC_DIRECTION: ctx.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
  };
  return text.replace(/%(KUMA_[A-Z_]+)%/g, (whole, name: string) => values[name] ?? whole);
}

function logFormat(format: AccessLogFormat | undefined, ctx: AccessLogContext): EnvoyMessage {
  if (format?.type === 'Json') {
    const json: Record<string, string> = {};
    for (const { key, value } of format.json) json[key] = substituteKumaOperators(value, ctx);
    return compact({ json_format: json, omit_empty_values: format.omitEmptyValues || undefined });
  }
  const plain = format?.plain ?? (ctx.protocol === 'http' ? ACCESS_LOG_DEFAULT_HTTP_FORMAT : ACCESS_LOG_DEFAULT_TCP_FORMAT);
  return compact({
    omit_empty_values: format?.omitEmptyValues || undefined,
    text_format_source: { inline_string: `${substituteKumaOperators(plain, ctx)}\n` },
  });
}

/** File backends (including /dev/stdout). TCP and OpenTelemetry backends have no Envoy config here and are left out. */
export function accessLogs(conf: MeshAccessLogConf | undefined, ctx: AccessLogContext): EnvoyMessage[] | undefined {
  const out: EnvoyMessage[] = [];
  for (const b of conf?.backends ?? []) {
    if (b.type !== 'File') continue;
    out.push(typedExtension(ENVOY_FILTERS.fileAccessLog, ENVOY_TYPES.fileAccessLog, { path: b.file.path, log_format: logFormat(b.file.format, ctx) }));
  }
  return out.length > 0 ? out : undefined;
}
