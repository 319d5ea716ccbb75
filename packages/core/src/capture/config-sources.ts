import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MeshcapError } from '../errors.ts';
import {
  envVarName,
  parseTransparentProxyConfig,
  transparentProxyOptions,
  type OptionOrigin,
  type TransparentProxyConfig,
  type TransparentProxyOption,
} from './config.ts';
import { parseKumaTransparentProxyConfig, type KumaRunSettings } from './kuma-config.ts';

export interface TransparentProxyConfigSources {
  /** Command-line values by flag name without `--`, as node:util parseArgs returns them. */
  flags?: Record<string, string | boolean | string[] | undefined>;
  /** Environment to read MESHCAP_TRANSPARENT_PROXY_* from. */
  env?: Record<string, string | undefined>;
  /** A YAML or JSON file with the options as fields (`redirectInboundPort: 15006`, kebab-case also accepted). */
  configFile?: string;
  /** kumactl transparent-proxy config documents (`--config`), merged in order after `configFile`; `source` names each in errors. */
  kumaConfigs?: Array<{ source: string; text: string }>;
}

const NUMERIC_LIST_KEYS = new Set(['excludeInboundPorts', 'excludeOutboundPorts']);

function bad(name: string, value: unknown, why: string): MeshcapError {
  return new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${name}: ${JSON.stringify(value)} ${why}`, [{ path: name, message: why }]);
}

function integerFrom(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  return undefined;
}

/** `2s`, `500ms`, `1m`, or a number of seconds. */
function secondsFrom(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

function listItems(value: unknown, separator: RegExp): unknown[] {
  const parts = Array.isArray(value) ? value : [value];
  return parts.flatMap((p) => (typeof p === 'string' ? p.split(separator).map((s) => s.trim()).filter(Boolean) : [p]));
}

function numberAsText(item: unknown): unknown {
  return typeof item === 'number' ? String(item) : item;
}

/** Turns one raw value (a string from a flag or env var, or a YAML value) into the type the schema expects. */
function coerce(option: TransparentProxyOption, value: unknown, name: string): unknown {
  switch (option.kind) {
    case 'integer': {
      if (typeof value === 'number') return value;
      const n = typeof value === 'string' ? integerFrom(value) : undefined;
      if (n === undefined) throw bad(name, value, 'is not a whole number');
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const t = String(value).trim().toLowerCase();
      if (['true', '1', 'yes', ''].includes(t)) return true;
      if (['false', '0', 'no'].includes(t)) return false;
      throw bad(name, value, 'is not true or false');
    }
    case 'list': {
      const items = listItems(value, /,/);
      // Anything but text and numbers (a map where an address belongs) stays as written, so the error shows it.
      if (!NUMERIC_LIST_KEYS.has(option.key)) return items.map(numberAsText);
      // Non-numeric items stay strings so validation reports them with the value.
      return items.map((i) => (typeof i === 'string' && integerFrom(i) !== undefined ? integerFrom(i) : i));
    }
    case 'entries':
      return listItems(value, /;/).map(numberAsText);
    case 'duration': {
      if (typeof value === 'number') return value;
      const s = typeof value === 'string' ? secondsFrom(value) : undefined;
      if (s === undefined) throw bad(name, value, 'is not a duration (e.g. 2s, 500ms)');
      return s;
    }
    case 'string':
      if (typeof value === 'number') return String(value);
      return value;
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--config-file: cannot read "${path}": ${(err as Error).message}`, [{ path: 'configFile', message: 'cannot read', source: path }]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_YAML_SYNTAX', `${path}: ${(err as Error).message.split('\n')[0]}`, [{ message: 'not valid YAML or JSON', source: path }]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${path}: must be a map of options (e.g. "redirectInboundPort: 15006")`, [{ message: 'not a map', source: path }]);
  }
  return doc as Record<string, unknown>;
}

/**
 * Loads the options from a config file, MESHCAP_TRANSPARENT_PROXY_* env vars and flags (flags win
 * over env, env over the file), and validates them. Errors name the flag, env var or file field and
 * the bad value; nothing is applied by loading.
 */
export function loadTransparentProxyConfig(sources: TransparentProxyConfigSources = {}): TransparentProxyConfig {
  return loadTransparentProxyOptions(sources).config;
}

/** The config loaded as `loadTransparentProxyConfig` does, and where each option the user set came from (unset options are absent). */
export function loadTransparentProxyOptions(sources: TransparentProxyConfigSources = {}): { config: TransparentProxyConfig; origins: Record<string, OptionOrigin>; run: KumaRunSettings } {
  const merged: Record<string, unknown> = {};
  const origins: Record<string, OptionOrigin> = {};
  const file = sources.configFile ? readConfigFile(sources.configFile) : {};

  for (const [field, value] of Object.entries(file)) {
    const option = transparentProxyOptions.find((o) => o.key === field || o.flag === field);
    if (!option) {
      // Unknown fields go through so validation reports them by name.
      merged[field] = value;
      origins[field] = 'file';
      continue;
    }
    merged[option.key] = coerce(option, value, `${sources.configFile}: ${field}`);
    origins[option.key] = 'file';
  }
  let run: KumaRunSettings = {};
  for (const { source, text } of sources.kumaConfigs ?? []) {
    const parsed = parseKumaTransparentProxyConfig(text, source);
    for (const { key, value, field } of parsed.values) {
      const option = transparentProxyOptions.find((o) => o.key === key)!;
      merged[key] = coerce(option, value, `${source}: ${field}`);
      origins[key] = { file: source, field };
    }
    run = { ...run, ...parsed.run };
  }
  for (const option of transparentProxyOptions) {
    const name = envVarName(option);
    const value = sources.env?.[name];
    if (value === undefined || value === '') continue;
    merged[option.key] = coerce(option, value, name);
    origins[option.key] = 'env';
  }
  for (const option of transparentProxyOptions) {
    const value = sources.flags?.[option.flag];
    if (value === undefined) continue;
    merged[option.key] = coerce(option, value, `--${option.flag}`);
    origins[option.key] = 'flag';
  }
  // Kuma's captureAll does nothing unless DNS redirection is enabled (by any source).
  if (typeof origins.redirectAllDnsTraffic === 'object' && merged.redirectDns !== true) merged.redirectAllDnsTraffic = false;
  return { config: parseTransparentProxyConfig(merged, origins, sources.configFile), origins, run };
}
