import { ENVOY_FILTERS, ENVOY_TYPES } from '../../xds/envoy-json.ts';
import { bool, fields, list, reject, str, typed } from '../../proxy/xds-config/reader.ts';
import type { AccessLogBackend, AccessLogFormat, MeshAccessLogConf } from './schema.ts';

/**
 * `access_log` (HttpConnectionManager, tcp_proxy) back into the MeshAccessLog conf the access-log
 * passes run: file loggers only, with a text or JSON format. Kuma's `%KUMA_*%` operators are the
 * control plane's to fill in; Envoy does not know them, so a format still holding one is refused.
 */

function checkOperators(text: string, where: string): string {
  const kuma = /%KUMA_[A-Z_]+%/.exec(text);
  if (kuma) reject(where, `${kuma[0]} is not an Envoy command operator (the control plane substitutes Kuma's operators)`);
  return text;
}

function logFormat(value: unknown, where: string): AccessLogFormat {
  const f = fields(value, where, ['text_format_source', 'json_format', 'omit_empty_values']);
  const omit = f['omit_empty_values'] === undefined ? undefined : bool(f['omit_empty_values'], `${where}.omit_empty_values`);
  const extra = omit ? { omitEmptyValues: true } : {};
  if ((f['text_format_source'] === undefined) === (f['json_format'] === undefined)) reject(where, 'needs exactly one of text_format_source or json_format');
  if (f['json_format'] !== undefined) {
    const json = fields(f['json_format'], `${where}.json_format`, Object.keys(f['json_format'] as object));
    return { type: 'Json', json: Object.entries(json).map(([key, v]) => ({ key, value: checkOperators(str(v, `${where}.json_format.${key}`), `${where}.json_format.${key}`) })), ...extra };
  }
  const source = fields(f['text_format_source'], `${where}.text_format_source`, ['inline_string']);
  const text = str(source['inline_string'], `${where}.text_format_source.inline_string`);
  // Envoy writes the line as given; the access-log format adds the newline itself.
  return { type: 'Plain', plain: checkOperators(text.endsWith('\n') ? text.slice(0, -1) : text, `${where}.text_format_source.inline_string`), ...extra };
}

/** undefined when the list is empty. */
export function decodeAccessLogs(value: unknown, where: string): MeshAccessLogConf | undefined {
  const backends: AccessLogBackend[] = list(value, where).map((entry, i) => {
    const at = `${where}[${i}]`;
    const e = fields(entry, at, ['name', 'typed_config']);
    const name = str(e['name'], `${at}.name`);
    if (name !== ENVOY_FILTERS.fileAccessLog) reject(`${at}.name`, `"${name}" is not supported (${ENVOY_FILTERS.fileAccessLog})`);
    const c = typed(e['typed_config'], `${at}.typed_config`, ENVOY_TYPES.fileAccessLog, ['path', 'log_format']);
    const path = str(c['path'], `${at}.typed_config.path`);
    if (c['log_format'] === undefined) reject(`${at}.typed_config.log_format`, "missing (Envoy's default format is not supported)");
    return { type: 'File', file: { path, format: logFormat(c['log_format'], `${at}.typed_config.log_format`) } };
  });
  return backends.length > 0 ? { backends } : undefined;
}
