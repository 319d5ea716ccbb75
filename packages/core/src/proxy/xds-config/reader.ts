import { MeshcapError } from '../../errors.ts';
import { typeNameOf } from '../../xds/envoy-json.ts';

/**
 * Strict reading of Envoy JSON: every field the dataplane does not honour is an error naming the
 * resource and the field (what the dataplane NACKs with), never something skipped. `where` is a
 * path such as `Listener "inbound:127.0.0.1:15000" filter_chains[0].filters[0]`.
 */

export type Json = Record<string, unknown>;

export function reject(where: string, message: string): never {
  throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${where}: ${message}`, [{ path: where, message }]);
}

/** The object at `where`, refusing fields outside `allowed` (`@type` is checked by `typed`). */
export function fields(value: unknown, where: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) reject(where, 'must be an object');
  for (const key of Object.keys(value)) {
    if (key !== '@type' && !allowed.includes(key)) reject(`${where}.${key}`, 'not supported by meshcap dp (it would be ignored, so the resource is refused)');
  }
  return value as Json;
}

/** An Any of message `fullName`, with only the `allowed` fields. */
export function typed(value: unknown, where: string, fullName: string, allowed: readonly string[]): Json {
  const o = fields(value, where, allowed);
  const url = o['@type'];
  if (typeof url !== 'string') reject(`${where}.@type`, 'missing');
  if (typeNameOf(url) !== fullName) reject(`${where}.@type`, `is ${typeNameOf(url)}, expected ${fullName}`);
  return o;
}

export function list(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) reject(where, 'must be a list');
  return value;
}

export function str(value: unknown, where: string): string {
  if (typeof value !== 'string') reject(where, 'must be a string');
  return value;
}

export function optStr(value: unknown, where: string): string | undefined {
  return value === undefined ? undefined : str(value, where);
}

/** Integers; uint64/int64 arrive as strings in proto JSON. */
export function int(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) reject(where, 'must be a whole number');
  return n;
}

export function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') reject(where, 'must be true or false');
  return value;
}

const ENVOY_DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/** An Envoy Duration ("5s", "0.250s"), kept as written: Kuma's duration syntax reads it as is. */
export function duration(value: unknown, where: string): { text: string; ms: number } {
  const text = str(value, where);
  const m = ENVOY_DURATION.exec(text);
  if (!m) reject(where, `"${text}" is not a Duration (such as "5s" or "0.250s")`);
  return { text, ms: Number(m[1]) * 1000 + Number(`0.${m[2] ?? '0'}`) * 1000 };
}

/** A FractionalPercent as a percentage (0–100). */
export function fractionalPercent(value: unknown, where: string): number {
  const o = fields(value ?? {}, where, ['numerator', 'denominator']);
  const numerator = o['numerator'] === undefined ? 0 : int(o['numerator'], `${where}.numerator`);
  const scale: Record<string, number> = { HUNDRED: 1, TEN_THOUSAND: 100, MILLION: 10_000 };
  const denominator = o['denominator'] === undefined ? 'HUNDRED' : str(o['denominator'], `${where}.denominator`);
  const s = scale[denominator];
  if (s === undefined) reject(`${where}.denominator`, `"${denominator}" is not HUNDRED, TEN_THOUSAND or MILLION`);
  return Math.min(100, numerator / s);
}
