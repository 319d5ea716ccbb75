import type { Enum, Field, MapField, OneOf, Type } from 'protobufjs';
import { formatPath, MeshcapError } from '../errors.ts';
import { loadEnvoyProtos, PROTOBUF_WRAPPERS as WRAPPERS, type EnvoyProtos } from './envoy-protos.ts';

/**
 * A strict reader of Envoy JSON against Envoy's own protos. protobufjs's `fromObject` silently drops
 * unknown fields and coerces types, so this walks the JSON against the reflected descriptors itself,
 * following the proto3 JSON mapping: unknown field, wrong scalar type, unknown enum name, `@type`
 * that does not resolve to a loaded message, malformed Duration/Timestamp, two members of one oneof —
 * each is an issue with the JSON path where it happened. On top of decoding it checks the
 * protoc-gen-validate rules written in the protos (the constraints Envoy enforces when it loads a
 * config) and, in canonical mode, the exact form Envoy's admin prints.
 */

export interface EnvoyProtoIssue {
  /** JSON path, e.g. `configs[2].dynamic_listeners[0].active_state.listener.address`. */
  path: string;
  message: string;
}

export interface EnvoyProtoCheckOptions {
  /**
   * Also require the form Envoy's `/config_dump` prints (default true): proto field names
   * (snake_case), no fields holding their default value, no `null`, enums by name, 64-bit integers
   * as strings, fields in field-number order, `@type` first in an Any, type URLs under
   * `type.googleapis.com/`, fractional seconds in 0/3/6/9 digits.
   */
  canonical?: boolean;
  /** Accept fields the protos mark deprecated (default false: Envoy warns or rejects them). */
  allowDeprecated?: boolean;
  /** Check protoc-gen-validate rules (default true). */
  validateRules?: boolean;
  /** Stop collecting after this many issues (default 100). */
  maxIssues?: number;
}

type Json = unknown;
type Rules = Record<string, unknown>;

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const INT_RE = /^-?\d+$/;
const MAX_DURATION_SECONDS = 315_576_000_000;

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const IS_64_BIT = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

const SPECIAL_JSON = new Set([
  'google.protobuf.Any',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  ...Object.keys(WRAPPERS),
]);

function fullNameOf(t: Type | Enum): string {
  return t.fullName.startsWith('.') ? t.fullName.slice(1) : t.fullName;
}

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Seconds (as a decimal number) of a proto3 JSON Duration, or undefined if malformed. */
export function parseDurationSeconds(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  const secs = Number(m[2]) + Number(`0.${m[3] ?? '0'}`);
  return m[1] ? -secs : secs;
}

function ruleDurationSeconds(r: unknown): number {
  if (!isPlainObject(r)) return 0;
  return Number(r['seconds'] ?? 0) + Number(r['nanos'] ?? 0) / 1e9;
}

function deepMerge(into: Rules, from: Rules): Rules {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    into[k] = isPlainObject(v) ? deepMerge(isPlainObject(cur) ? cur : {}, v) : v;
  }
  return into;
}

/** The `(validate.rules)` option statements of a field, merged into one rules object. */
function fieldRules(field: Field): Rules | undefined {
  let out: Rules | undefined;
  for (const entry of (field.parsedOptions ?? []) as Array<Record<string, unknown>>) {
    const r = entry['(validate.rules)'];
    if (isPlainObject(r)) out = deepMerge(out ?? {}, r);
  }
  return out;
}

class Checker {
  readonly issues: EnvoyProtoIssue[] = [];
  private readonly canonical: boolean;
  private readonly allowDeprecated: boolean;
  private readonly validateRules: boolean;
  private readonly maxIssues: number;

  constructor(
    private readonly protos: EnvoyProtos,
    options: EnvoyProtoCheckOptions,
  ) {
    this.canonical = options.canonical ?? true;
    this.allowDeprecated = options.allowDeprecated ?? false;
    this.validateRules = options.validateRules ?? true;
    this.maxIssues = options.maxIssues ?? 100;
  }

  fail(path: PropertyKey[], message: string): void {
    if (this.issues.length < this.maxIssues) this.issues.push({ path: formatPath(path), message });
  }

  /** A value whose type is the message `type`. */
  value(v: Json, type: Type, path: PropertyKey[]): void {
    const name = fullNameOf(type);
    if (SPECIAL_JSON.has(name)) this.special(v, name, path);
    else this.message(v, type, path, false);
  }

  private special(v: Json, name: string, path: PropertyKey[]): void {
    const wrapped = WRAPPERS[name];
    if (wrapped) return this.scalar(v, wrapped, path);
    switch (name) {
      case 'google.protobuf.Any':
        return this.any(v, path);
      case 'google.protobuf.Duration':
        return this.duration(v, path);
      case 'google.protobuf.Timestamp':
        return this.timestamp(v, path);
      case 'google.protobuf.FieldMask':
        if (typeof v !== 'string') this.fail(path, `a FieldMask must be a string of comma-separated paths, got ${describe(v)}`);
        return;
      case 'google.protobuf.Struct':
        if (!isPlainObject(v)) this.fail(path, `a Struct must be a JSON object, got ${describe(v)}`);
        return;
      case 'google.protobuf.ListValue':
        if (!Array.isArray(v)) this.fail(path, `a ListValue must be a JSON array, got ${describe(v)}`);
        return;
      case 'google.protobuf.Value':
        return; // any JSON value
    }
  }

  private any(v: Json, path: PropertyKey[]): void {
    if (!isPlainObject(v)) return this.fail(path, `an Any must be an object with "@type", got ${describe(v)}`);
    const url = v['@type'];
    if (typeof url !== 'string') return this.fail(path, 'an Any needs a string "@type"');
    if (this.canonical && Object.keys(v)[0] !== '@type') this.fail(path, '"@type" must come first in an Any');
    const slash = url.lastIndexOf('/');
    if (slash < 0) return this.fail([...path, '@type'], `type URL ${JSON.stringify(url)} has no "/"`);
    if (this.canonical && !url.startsWith(TYPE_URL_PREFIX)) {
      this.fail([...path, '@type'], `type URL ${JSON.stringify(url)} must start with "${TYPE_URL_PREFIX}"`);
    }
    const name = url.slice(slash + 1);
    const type = this.protos.type(name);
    if (!type) return this.fail([...path, '@type'], `type URL ${JSON.stringify(url)} does not resolve to a loaded message type`);
    if (SPECIAL_JSON.has(name)) {
      // Well-known types with their own JSON form sit under "value".
      for (const k of Object.keys(v)) {
        if (k !== '@type' && k !== 'value') this.fail([...path, k], `unknown field "${k}" in an Any of ${name} (expected only "value")`);
      }
      if (!('value' in v)) return this.fail(path, `an Any of ${name} needs "value"`);
      return this.special(v['value'], name, [...path, 'value']);
    }
    this.message(v, type, path, true);
  }

  private duration(v: Json, path: PropertyKey[]): void {
    if (typeof v !== 'string') return this.fail(path, `a Duration must be a string like "5s", got ${describe(v)}`);
    const m = DURATION_RE.exec(v);
    if (!m) return this.fail(path, `${JSON.stringify(v)} is not a Duration (seconds with up to 9 fractional digits and an "s")`);
    if (Number(m[2]) > MAX_DURATION_SECONDS) this.fail(path, `Duration ${v} is out of range`);
    if (this.canonical && m[3] !== undefined && ![3, 6, 9].includes(m[3].length)) {
      this.fail(path, `Duration ${v}: Envoy prints 0, 3, 6 or 9 fractional digits`);
    }
  }

  private timestamp(v: Json, path: PropertyKey[]): void {
    if (typeof v !== 'string') return this.fail(path, `a Timestamp must be an RFC 3339 string, got ${describe(v)}`);
    const m = TIMESTAMP_RE.exec(v);
    if (!m || Number.isNaN(Date.parse(v))) return this.fail(path, `${JSON.stringify(v)} is not an RFC 3339 timestamp`);
    if (this.canonical) {
      if (m[8] !== 'Z') this.fail(path, `Timestamp ${v}: Envoy prints UTC with "Z"`);
      if (m[7] !== undefined && ![3, 6, 9].includes(m[7].length)) this.fail(path, `Timestamp ${v}: Envoy prints 0, 3, 6 or 9 fractional digits`);
    }
  }

  private message(v: Json, type: Type, path: PropertyKey[], inAny: boolean): void {
    const typeName = fullNameOf(type);
    if (!isPlainObject(v)) return this.fail(path, `expected an object (${typeName}), got ${describe(v)}`);
    const seenOneof = new Map<OneOf, string>();
    let lastId = 0;
    for (const [key, fv] of Object.entries(v)) {
      if (inAny && key === '@type') continue;
      let field: Field | undefined = type.fields[key];
      if (!field) {
        field = type.fieldsArray.find((f) => (f.jsonName ?? lowerCamel(f.name)) === key);
        if (!field) {
          this.fail([...path, key], `unknown field "${key}" in ${typeName}`);
          continue;
        }
        if (this.canonical) this.fail([...path, key], `Envoy prints the proto field name "${field.name}", not "${key}"`);
      }
      const fpath = [...path, field.name];
      if (this.canonical) {
        if (field.id < lastId) this.fail(fpath, `field "${field.name}" (${field.id}) comes after a higher-numbered field; Envoy prints fields in field-number order`);
        lastId = Math.max(lastId, field.id);
      }
      if (fv === null && !(field.resolvedType && fullNameOf(field.resolvedType) === 'google.protobuf.Value')) {
        if (this.canonical) this.fail(fpath, 'null: Envoy omits unset fields');
        continue;
      }
      if (field.options?.['deprecated'] === true && !this.allowDeprecated) {
        this.fail(fpath, `field "${field.name}" of ${typeName} is deprecated`);
      }
      const oneof = field.partOf;
      if (oneof && !oneof.isProto3Optional) {
        const other = seenOneof.get(oneof);
        if (other) this.fail(fpath, `"${field.name}" and "${other}" are both set, but they are members of oneof "${oneof.name}"`);
        else seenOneof.set(oneof, field.name);
      }
      this.fieldValue(fv, field, fpath);
    }
    if (this.validateRules) this.messageRules(v, type, path);
  }

  private fieldValue(v: Json, field: Field, path: PropertyKey[]): void {
    if (field.map) {
      if (!isPlainObject(v)) return this.fail(path, `expected an object for map field "${field.name}", got ${describe(v)}`);
      if (this.canonical && Object.keys(v).length === 0) this.fail(path, 'empty map: Envoy omits it');
      const keyType = (field as unknown as MapField).keyType;
      for (const [k, ev] of Object.entries(v)) {
        if (keyType !== 'string') this.scalarFromString(k, keyType, [...path, k]);
        this.single(ev, field, [...path, k]);
      }
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(v)) return this.fail(path, `expected an array for repeated field "${field.name}", got ${describe(v)}`);
      if (this.canonical && v.length === 0) this.fail(path, 'empty list: Envoy omits it');
      v.forEach((ev, i) => {
        if (ev === null) this.fail([...path, i], 'null is not allowed in a repeated field');
        else this.single(ev, field, [...path, i]);
      });
      return;
    }
    this.single(v, field, path);
    if (this.canonical && !field.hasPresence && !field.partOf && isDefaultScalar(v, field)) {
      this.fail(path, `"${field.name}" holds its default value; Envoy omits it`);
    }
  }

  private single(v: Json, field: Field, path: PropertyKey[]): void {
    const rt = field.resolvedType;
    if (!rt) return this.scalar(v, field.type, path);
    if ('values' in rt && !('fields' in rt)) return this.enumValue(v, rt as Enum, path);
    this.value(v, rt as Type, path);
  }

  private enumValue(v: Json, e: Enum, path: PropertyKey[]): void {
    if (fullNameOf(e) === 'google.protobuf.NullValue') {
      if (v !== null && v !== 'NULL_VALUE') this.fail(path, `expected null, got ${describe(v)}`);
      return;
    }
    if (typeof v === 'string') {
      if (!(v in e.values)) this.fail(path, `${JSON.stringify(v)} is not a value of enum ${fullNameOf(e)} (${Object.keys(e.values).join(', ')})`);
      return;
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (this.canonical) this.fail(path, `enum ${fullNameOf(e)} is printed by name, not number ${v}`);
      return;
    }
    this.fail(path, `expected a name of enum ${fullNameOf(e)}, got ${describe(v)}`);
  }

  private scalarFromString(text: string, type: string, path: PropertyKey[]): void {
    if (type === 'bool') {
      if (text !== 'true' && text !== 'false') this.fail(path, `map key ${JSON.stringify(text)} is not a bool`);
    } else if (INT_RANGES[type]) {
      this.integer(text, type, path, false);
    }
  }

  private integer(v: string | number, type: string, path: PropertyKey[], fromString: boolean): void {
    const range = INT_RANGES[type];
    if (!range) return;
    let n: bigint;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) return this.fail(path, `${type} must be a whole number, got ${v}`);
      if (!Number.isSafeInteger(v)) return this.fail(path, `${type} ${v} is beyond exact JSON numbers; write it as a string`);
      n = BigInt(v);
    } else {
      if (!INT_RE.test(v)) return this.fail(path, `${type} must be a whole number, got ${JSON.stringify(v)}`);
      n = BigInt(v);
    }
    if (n < range[0] || n > range[1]) this.fail(path, `${String(v)} is out of range for ${type}`);
    if (this.canonical && fromString !== IS_64_BIT.has(type)) {
      this.fail(path, IS_64_BIT.has(type) ? `${type} is printed as a string` : `${type} is printed as a number`);
    }
  }

  private scalar(v: Json, type: string, path: PropertyKey[]): void {
    switch (type) {
      case 'double':
      case 'float':
        if (typeof v === 'number') return;
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return;
        if (!this.canonical && typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return;
        return this.fail(path, `expected a number (${type}), got ${describe(v)}`);
      case 'bool':
        if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describe(v)}`);
        return;
      case 'string':
        if (typeof v !== 'string') this.fail(path, `expected a string, got ${describe(v)}`);
        return;
      case 'bytes':
        if (typeof v !== 'string' || !BASE64_RE.test(v)) this.fail(path, `expected base64 bytes, got ${describe(v)}`);
        return;
      default:
        if (INT_RANGES[type]) {
          if (typeof v === 'number' || typeof v === 'string') return this.integer(v, type, path, typeof v === 'string');
          return this.fail(path, `expected a whole number (${type}), got ${describe(v)}`);
        }
        return this.fail(path, `unsupported scalar type ${type}`);
    }
  }

  // ---- protoc-gen-validate rules ----

  private messageRules(v: Record<string, Json>, type: Type, path: PropertyKey[]): void {
    const opts = type.options ?? {};
    if (opts['(validate.disabled)'] === true || opts['(validate.ignored)'] === true) return;
    for (const oneof of type.oneofsArray) {
      if (oneof.options?.['(validate.required)'] !== true) continue;
      const set = oneof.fieldsArray.some((f) => v[f.name] !== undefined && v[f.name] !== null);
      if (!set) this.fail(path, `one of ${oneof.fieldsArray.map((f) => `"${f.name}"`).join(', ')} is required (oneof "${oneof.name}" of ${fullNameOf(type)})`);
    }
    for (const field of type.fieldsArray) {
      const rules = fieldRules(field);
      if (!rules) continue;
      const raw = v[field.name] ?? (field.jsonName ? v[field.jsonName] : undefined);
      const present = raw !== undefined && raw !== null;
      this.fieldRules(present ? raw : undefined, field, rules, [...path, field.name]);
    }
  }

  private fieldRules(v: Json | undefined, field: Field, rules: Rules, path: PropertyKey[]): void {
    const rt = field.resolvedType;
    const msgName = rt && 'fields' in rt ? fullNameOf(rt) : undefined;
    const message = rules['message'];
    if (isPlainObject(message) && message['skip'] === true) return;
    if (v === undefined) {
      if (field.partOf) return; // rules on an unset oneof member (or proto3 optional) do not apply
      if (isPlainObject(message) && message['required'] === true) return this.fail(path, `"${field.name}" is required`);
      for (const k of ['duration', 'timestamp', 'any'] as const) {
        const r = rules[k];
        if (isPlainObject(r) && r['required'] === true) return this.fail(path, `"${field.name}" is required`);
      }
      if (field.repeated || field.map) return this.collectionRules(field.map ? {} : [], rules, path);
      if (msgName) return; // an unset message: nothing more to check
      // Proto3 scalars without presence are checked at their default value, as PGV does.
      return this.scalarRules(defaultOf(field), rules, path);
    }
    if (field.repeated || field.map) {
      this.collectionRules(v, rules, path);
      const items = (isPlainObject(rules['repeated']) ? rules['repeated']['items'] : undefined) ?? (isPlainObject(rules['map']) ? rules['map']['values'] : undefined);
      if (isPlainObject(items)) {
        const entries: Array<[PropertyKey, Json]> = Array.isArray(v) ? v.map((e, i) => [i, e]) : isPlainObject(v) ? Object.entries(v) : [];
        for (const [k, ev] of entries) this.elementRules(ev, msgName, items, [...path, k]);
      }
      return;
    }
    this.elementRules(v, msgName, rules, path);
  }

  private elementRules(v: Json, msgName: string | undefined, rules: Rules, path: PropertyKey[]): void {
    if (msgName === 'google.protobuf.Duration') {
      const r = rules['duration'];
      if (isPlainObject(r) && typeof v === 'string') {
        const secs = parseDurationSeconds(v);
        if (secs !== undefined) this.rangeRules(secs, r, path, (n) => `${n}s`, ruleDurationSeconds);
      }
      return;
    }
    if (msgName === 'google.protobuf.Any') {
      const r = rules['any'];
      const url = isPlainObject(v) ? v['@type'] : undefined;
      if (isPlainObject(r) && typeof url === 'string') {
        if (Array.isArray(r['in']) && !r['in'].includes(url)) this.fail(path, `type ${url} is not one of ${r['in'].join(', ')}`);
        if (Array.isArray(r['not_in']) && r['not_in'].includes(url)) this.fail(path, `type ${url} is not allowed here`);
      }
      return;
    }
    if (msgName && !WRAPPERS[msgName]) return; // nested messages check their own fields
    this.scalarRules(v, rules, path);
  }

  private collectionRules(v: Json, rules: Rules, path: PropertyKey[]): void {
    const rep = rules['repeated'];
    if (isPlainObject(rep) && Array.isArray(v)) {
      if (rep['ignore_empty'] === true && v.length === 0) return;
      if (typeof rep['min_items'] === 'number' && v.length < rep['min_items']) this.fail(path, `needs at least ${rep['min_items']} item(s), has ${v.length}`);
      if (typeof rep['max_items'] === 'number' && v.length > rep['max_items']) this.fail(path, `allows at most ${rep['max_items']} item(s), has ${v.length}`);
      if (rep['unique'] === true && new Set(v.map((e) => JSON.stringify(e))).size !== v.length) this.fail(path, 'items must be unique');
    }
    const map = rules['map'];
    if (isPlainObject(map) && isPlainObject(v)) {
      const n = Object.keys(v).length;
      if (map['ignore_empty'] === true && n === 0) return;
      if (typeof map['min_pairs'] === 'number' && n < map['min_pairs']) this.fail(path, `needs at least ${map['min_pairs']} entr(ies), has ${n}`);
      if (typeof map['max_pairs'] === 'number' && n > map['max_pairs']) this.fail(path, `allows at most ${map['max_pairs']} entr(ies), has ${n}`);
    }
  }

  private scalarRules(v: Json, rules: Rules, path: PropertyKey[]): void {
    for (const [kind, r] of Object.entries(rules)) {
      if (!isPlainObject(r)) continue;
      if (r['ignore_empty'] === true && (v === '' || v === 0 || v === '0' || v === undefined)) continue;
      if (kind === 'string' && typeof v === 'string') this.stringRules(v, r, path);
      else if (kind === 'enum' && typeof v === 'string') this.listRules(v, r, path);
      else if (kind === 'bool' && typeof v === 'boolean') {
        if (typeof r['const'] === 'boolean' && r['const'] !== v) this.fail(path, `must be ${String(r['const'])}`);
      } else if (INT_RANGES[kind] || kind === 'double' || kind === 'float') {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
        if (!Number.isNaN(n)) {
          this.rangeRules(n, r, path, String, Number);
          this.listRules(n, r, path);
        }
      }
    }
  }

  private listRules(v: string | number, r: Rules, path: PropertyKey[]): void {
    if (r['const'] !== undefined && typeof r['const'] === typeof v && r['const'] !== v) this.fail(path, `must be ${String(r['const'])}`);
    if (Array.isArray(r['in']) && r['in'].length > 0 && typeof r['in'][0] === typeof v && !r['in'].includes(v)) {
      this.fail(path, `${String(v)} is not one of ${r['in'].join(', ')}`);
    }
    if (Array.isArray(r['not_in']) && r['not_in'].includes(v)) this.fail(path, `${String(v)} is not allowed`);
  }

  /** PGV's gt/gte/lt/lte, including its "exclusive range" form when the lower bound exceeds the upper. */
  private rangeRules(n: number, r: Rules, path: PropertyKey[], show: (n: number) => string, bound: (b: unknown) => number): void {
    const lo = r['gt'] !== undefined ? { v: bound(r['gt']), incl: false } : r['gte'] !== undefined ? { v: bound(r['gte']), incl: true } : undefined;
    const hi = r['lt'] !== undefined ? { v: bound(r['lt']), incl: false } : r['lte'] !== undefined ? { v: bound(r['lte']), incl: true } : undefined;
    const aboveLo = lo === undefined || (lo.incl ? n >= lo.v : n > lo.v);
    const belowHi = hi === undefined || (hi.incl ? n <= hi.v : n < hi.v);
    const loText = lo ? `${lo.incl ? '>=' : '>'} ${show(lo.v)}` : '';
    const hiText = hi ? `${hi.incl ? '<=' : '<'} ${show(hi.v)}` : '';
    if (lo && hi && lo.v > hi.v) {
      if (!aboveLo && !belowHi) this.fail(path, `${show(n)} must be ${loText} or ${hiText}`);
      return;
    }
    if (!aboveLo || !belowHi) this.fail(path, `${show(n)} must be ${[loText, hiText].filter(Boolean).join(' and ')}`);
    if (r['const'] !== undefined && typeof r['const'] === 'number' && r['const'] !== n) this.fail(path, `must be ${show(r['const'])}`);
  }

  private stringRules(s: string, r: Rules, path: PropertyKey[]): void {
    const chars = [...s].length;
    const bytes = Buffer.byteLength(s);
    const num = (k: string): number | undefined => (typeof r[k] === 'number' ? (r[k] as number) : typeof r[k] === 'string' ? Number(r[k]) : undefined);
    const checks: Array<[number | undefined, (x: number) => boolean, (x: number) => string]> = [
      [num('len'), (x) => chars === x, (x) => `must be exactly ${x} characters`],
      [num('min_len'), (x) => chars >= x, (x) => `must be at least ${x} character(s)`],
      [num('max_len'), (x) => chars <= x, (x) => `must be at most ${x} characters`],
      [num('min_bytes'), (x) => bytes >= x, (x) => `must be at least ${x} byte(s)`],
      [num('max_bytes'), (x) => bytes <= x, (x) => `must be at most ${x} bytes`],
    ];
    for (const [limit, ok, msg] of checks) if (limit !== undefined && !ok(limit)) this.fail(path, `${JSON.stringify(s)} ${msg(limit)}`);
    if (typeof r['prefix'] === 'string' && !s.startsWith(r['prefix'])) this.fail(path, `must start with ${JSON.stringify(r['prefix'])}`);
    if (typeof r['suffix'] === 'string' && !s.endsWith(r['suffix'])) this.fail(path, `must end with ${JSON.stringify(r['suffix'])}`);
    if (typeof r['contains'] === 'string' && !s.includes(r['contains'])) this.fail(path, `must contain ${JSON.stringify(r['contains'])}`);
    if (typeof r['not_contains'] === 'string' && s.includes(r['not_contains'])) this.fail(path, `must not contain ${JSON.stringify(r['not_contains'])}`);
    this.listRules(s, r, path);
    if (typeof r['pattern'] === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(r['pattern'], 'u');
      } catch {
        re = undefined; // an RE2 construct JS lacks: not checkable here
      }
      if (re && !re.test(s)) this.fail(path, `${JSON.stringify(s)} does not match ${r['pattern']}`);
    }
    const wkr = r['well_known_regex'];
    if (wkr === 'HTTP_HEADER_NAME' || wkr === 'HTTP_HEADER_VALUE') {
      const strict = r['strict'] !== false;
      // PGV's patterns: strict per RFC 7230; lax only refuses NUL, CR and LF (so "" passes, as an unset ClusterWeight.cluster_header does).
      const lax = (c: number): boolean => c !== 0 && c !== 0x0a && c !== 0x0d;
      const codes = [...s].map((c) => c.codePointAt(0)!);
      const ok =
        wkr === 'HTTP_HEADER_NAME'
          ? strict
            ? /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/.test(s)
            : codes.every(lax)
          : strict
            ? codes.every((c) => c === 0x09 || (c > 0x1f && c !== 0x7f))
            : codes.every(lax);
      if (!ok) this.fail(path, `${JSON.stringify(s)} is not a valid HTTP header ${wkr === 'HTTP_HEADER_NAME' ? 'name' : 'value'}`);
    }
  }
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function defaultOf(field: Field): Json {
  const rt = field.resolvedType;
  if (rt && 'values' in rt && !('fields' in rt)) return (rt as Enum).valuesById[0] ?? 0;
  if (field.type === 'string' || field.type === 'bytes') return '';
  if (field.type === 'bool') return false;
  return 0;
}

function isDefaultScalar(v: Json, field: Field): boolean {
  const rt = field.resolvedType;
  if (rt && 'fields' in rt) return false;
  if (rt) return v === (rt as Enum).valuesById[0] || v === 0;
  return v === '' || v === false || v === 0 || v === '0';
}

/** Checks `json` against the message `typeName` with already-loaded protos. */
export function checkEnvoyJsonWith(protos: EnvoyProtos, json: unknown, typeName: string, options: EnvoyProtoCheckOptions = {}): EnvoyProtoIssue[] {
  const type = protos.type(typeName);
  if (!type) return [{ path: '', message: `message type ${typeName} is not loaded` }];
  const checker = new Checker(protos, options);
  checker.value(json, type, []);
  return checker.issues;
}

/**
 * Checks `json` (default: a whole `/config_dump` answer, `envoy.admin.v3.ConfigDump`) strictly against
 * Envoy's protos. Returns the issues; an empty list means Envoy would accept it.
 */
export async function checkEnvoyJson(json: unknown, typeName = 'envoy.admin.v3.ConfigDump', options: EnvoyProtoCheckOptions = {}): Promise<EnvoyProtoIssue[]> {
  return checkEnvoyJsonWith(await loadEnvoyProtos(), json, typeName, options);
}

/** Like `checkEnvoyJson`, but throws a MeshcapError listing every issue. */
export async function assertEnvoyJson(json: unknown, typeName = 'envoy.admin.v3.ConfigDump', options: EnvoyProtoCheckOptions = {}): Promise<void> {
  const issues = await checkEnvoyJson(json, typeName, options);
  if (issues.length > 0) {
    throw new MeshcapError(
      'MESHCAP_ERR_INVALID_RESOURCE',
      `not a valid ${typeName} by Envoy's protos (${issues.length} issue(s)):\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
}
