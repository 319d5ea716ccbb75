import type { Enum, Field, Type } from 'protobufjs';
import { MeshcapError, formatPath } from '../errors.ts';
import type { EnvoyAny } from './envoy-json.ts';
import { loadEnvoyProtos, PROTOBUF_WRAPPERS as WRAPPERS, type EnvoyProtos } from './envoy-protos.ts';

/**
 * Envoy proto3 JSON (what our config_dump prints: proto field names, `@type` Any, Duration "5s",
 * RFC 3339 Timestamps, wrappers as plain values, Struct, enums by name, 64-bit integers as strings)
 * ↔ protobuf binary, by reflection over Envoy's own .proto files (envoy-protos.ts). The walker is
 * ours in both directions: protobufjs's `fromObject` drops unknown fields and coerces types, and
 * its `toObject` does not print well-known types the proto3 JSON way. Anything the protos do not
 * define is refused with MESHCAP_ERR_INVALID_RESOURCE naming the field path.
 */

/** A packed Any as it travels on the wire (`google.protobuf.Any`). */
export interface BinaryAny {
  type_url: string;
  value: Uint8Array;
}

type Path = Array<string | number>;
type Plain = Record<string, unknown>;

/** Well-known types whose JSON is not an object of fields; inside an Any they sit under "value". */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPERS),
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.FieldMask',
]);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const UNSIGNED = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);

function fail(path: Path, message: string): never {
  const where = formatPath(path) || '(root)';
  throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${where}: ${message}`, [{ path: where, message }]);
}

function nameOf(t: Type | Enum): string {
  return t.fullName.replace(/^\./, '');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortedFields(type: Type): Field[] {
  return [...type.fieldsArray].sort((a, b) => a.id - b.id);
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const MAX_SECONDS = 315_576_000_000;

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (isObject(v) && typeof v.toNumber === 'function') return (v.toNumber as () => number)();
  return 0;
}

class Codec {
  /** google.protobuf.Value's member names: protobufjs's bundled copy spells them camelCase. */
  private readonly v: { null: string; number: string; string: string; bool: string; struct: string; list: string };

  constructor(private readonly protos: EnvoyProtos) {
    const value = protos.type('google.protobuf.Value');
    const byId = (id: number, fallback: string): string => value?.fieldsById[id]?.name ?? fallback;
    this.v = {
      null: byId(1, 'null_value'),
      number: byId(2, 'number_value'),
      string: byId(3, 'string_value'),
      bool: byId(4, 'bool_value'),
      struct: byId(5, 'struct_value'),
      list: byId(6, 'list_value'),
    };
  }

  private typeOfUrl(url: unknown, path: Path): Type {
    if (typeof url !== 'string') fail(path, `"@type" must be a type URL string, got ${describe(url)}`);
    const slash = url.lastIndexOf('/');
    if (slash < 0) fail(path, `"@type" ${JSON.stringify(url)} is not a type URL (…/<full message name>)`);
    const type = this.protos.type(url.slice(slash + 1));
    if (!type) fail(path, `"@type" ${url} is not a message in the loaded Envoy protos`);
    return type;
  }

  // ---------------------------------------------------------------- JSON → plain (for Type.encode)

  encodeAny(json: unknown, path: Path): BinaryAny {
    if (!isObject(json)) fail(path, `an Any must be an object with "@type", got ${describe(json)}`);
    const type = this.typeOfUrl(json['@type'], [...path, '@type']);
    const name = nameOf(type);
    let inner: Plain;
    if (SPECIAL_JSON.has(name)) {
      for (const key of Object.keys(json)) {
        if (key !== '@type' && key !== 'value') fail([...path, key], `unknown field of an Any holding ${name} (only "value")`);
      }
      inner = this.messageFromJson(type, json.value, [...path, 'value']);
    } else {
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(json)) if (k !== '@type') rest[k] = v;
      inner = this.messageFromJson(type, rest, path);
    }
    return { type_url: json['@type'] as string, value: type.encode(inner).finish() };
  }

  messageFromJson(type: Type, json: unknown, path: Path): Plain {
    const name = nameOf(type);
    switch (name) {
      case 'google.protobuf.Any': {
        const any = this.encodeAny(json, path);
        return { type_url: any.type_url, value: any.value };
      }
      case 'google.protobuf.Duration': {
        if (typeof json !== 'string') fail(path, `a Duration must be a string like "5s", got ${describe(json)}`);
        const m = DURATION_RE.exec(json);
        if (!m) fail(path, `${JSON.stringify(json)} is not a Duration (seconds, up to 9 fractional digits, "s")`);
        const seconds = Number(m[2]);
        if (seconds > MAX_SECONDS) fail(path, `Duration ${json} is out of range`);
        const nanos = Number((m[3] ?? '').padEnd(9, '0'));
        const sign = m[1] ? -1 : 1;
        return { seconds: sign * seconds, nanos: sign * nanos };
      }
      case 'google.protobuf.Timestamp': {
        if (typeof json !== 'string') fail(path, `a Timestamp must be an RFC 3339 string, got ${describe(json)}`);
        const m = TIMESTAMP_RE.exec(json);
        const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]}`) : NaN;
        if (!m || Number.isNaN(ms)) fail(path, `${JSON.stringify(json)} is not an RFC 3339 Timestamp`);
        return { seconds: Math.floor(ms / 1000), nanos: Number((m[7] ?? '').padEnd(9, '0')) };
      }
      case 'google.protobuf.Struct':
        if (!isObject(json)) fail(path, `a Struct must be an object, got ${describe(json)}`);
        return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, this.valueFromJson(v, [...path, k])])) };
      case 'google.protobuf.Value':
        return this.valueFromJson(json, path);
      case 'google.protobuf.ListValue':
        if (!Array.isArray(json)) fail(path, `a ListValue must be a list, got ${describe(json)}`);
        return { values: json.map((v, i) => this.valueFromJson(v, [...path, i])) };
      case 'google.protobuf.FieldMask':
        if (typeof json !== 'string') fail(path, `a FieldMask must be a string, got ${describe(json)}`);
        return { paths: json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
      default:
        break;
    }
    const wrapped = WRAPPERS[name];
    if (wrapped) return { value: this.scalarFromJson(wrapped, json, path) };

    if (!isObject(json)) fail(path, `${name} must be an object, got ${describe(json)}`);
    const out: Plain = {};
    const oneofs = new Map<string, string>();
    for (const [key, value] of Object.entries(json)) {
      const field = type.fields[key] ?? type.fieldsArray.find((f) => f.options?.json_name === key || camel(f.name) === key);
      const fpath = [...path, key];
      if (!field) fail(fpath, `unknown field of ${name}`);
      // Absent, as JSON.stringify would leave it out (typed objects built in code carry optional fields as undefined).
      if (value === undefined) continue;
      if (value === null && nameOf(field.resolvedType ?? type) !== 'google.protobuf.Value') continue;
      if (field.partOf && !field.partOf.name.startsWith('_')) {
        const other = oneofs.get(field.partOf.name);
        if (other) fail(fpath, `"${other}" and "${field.name}" are both set, but they are members of oneof ${field.partOf.name}`);
        oneofs.set(field.partOf.name, field.name);
      }
      out[field.name] = this.fieldFromJson(field, value, fpath);
    }
    return out;
  }

  private fieldFromJson(field: Field, value: unknown, path: Path): unknown {
    if (field.map) {
      if (!isObject(value)) fail(path, `a map must be an object, got ${describe(value)}`);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.singleFromJson(field, v, [...path, k])]));
    }
    if (field.repeated) {
      if (!Array.isArray(value)) fail(path, `a repeated field must be a list, got ${describe(value)}`);
      return value.map((v, i) => this.singleFromJson(field, v, [...path, i]));
    }
    return this.singleFromJson(field, value, path);
  }

  private singleFromJson(field: Field, value: unknown, path: Path): unknown {
    const rt = field.resolvedType;
    if (rt && 'fieldsArray' in rt) return this.messageFromJson(rt, value, path);
    if (rt) return this.enumFromJson(rt, value, path);
    return this.scalarFromJson(field.type, value, path);
  }

  private enumFromJson(e: Enum, value: unknown, path: Path): number {
    if (nameOf(e) === 'google.protobuf.NullValue') return 0;
    if (typeof value === 'string') {
      const n = e.values[value];
      if (n === undefined) fail(path, `${JSON.stringify(value)} is not a value of enum ${nameOf(e)}`);
      return n;
    }
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    return fail(path, `enum ${nameOf(e)} wants a value name, got ${describe(value)}`);
  }

  private valueFromJson(v: unknown, path: Path): Plain {
    if (v === null) return { [this.v.null]: 0 };
    if (typeof v === 'number') return { [this.v.number]: v };
    if (typeof v === 'string') return { [this.v.string]: v };
    if (typeof v === 'boolean') return { [this.v.bool]: v };
    if (Array.isArray(v)) return { [this.v.list]: { values: v.map((x, i) => this.valueFromJson(x, [...path, i])) } };
    if (isObject(v)) return { [this.v.struct]: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.valueFromJson(x, [...path, k])])) } };
    return fail(path, `not a JSON value: ${describe(v)}`);
  }

  private scalarFromJson(type: string, v: unknown, path: Path): unknown {
    switch (type) {
      case 'string':
        if (typeof v !== 'string') fail(path, `a string is needed, got ${describe(v)}`);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') fail(path, `a boolean is needed, got ${describe(v)}`);
        return v;
      case 'bytes':
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) fail(path, `bytes must be a base64 string, got ${describe(v)}`);
        return Buffer.from(v, 'base64');
      case 'double':
      case 'float':
        if (typeof v === 'number') return v;
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
        return fail(path, `a number is needed, got ${describe(v)}`);
      default: {
        if (!INT32.has(type) && !INT64.has(type)) return fail(path, `unsupported scalar type ${type}`);
        const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined;
        if (text === undefined || !/^-?\d+$/.test(text)) fail(path, `an integer (${type}) is needed, got ${describe(v)}`);
        if (UNSIGNED.has(type) && text.startsWith('-')) fail(path, `${type} cannot be negative: ${text}`);
        if (INT32.has(type)) {
          const n = Number(text);
          const [lo, hi] = UNSIGNED.has(type) ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
          if (n < lo || n > hi) fail(path, `${text} is out of range for ${type}`);
          return n;
        }
        return text; // the protobufjs writer takes decimal strings for 64-bit fields (via Long)
      }
    }
  }

  // ---------------------------------------------------------------- decoded message → JSON

  decodeAny(any: BinaryAny, path: Path): EnvoyAny {
    const type = this.typeOfUrl(any.type_url, [...path, '@type']);
    let msg: Plain;
    try {
      msg = type.decode(any.value) as unknown as Plain;
    } catch (err) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${formatPath(path) || '(root)'}: not a valid ${nameOf(type)}: ${(err as Error).message}`, [], { cause: err });
    }
    const json = this.messageToJson(type, msg, path);
    if (SPECIAL_JSON.has(nameOf(type))) return { '@type': any.type_url, value: json };
    return { '@type': any.type_url, ...(json as Record<string, unknown>) };
  }

  messageToJson(type: Type, msg: Plain, path: Path): unknown {
    const name = nameOf(type);
    switch (name) {
      case 'google.protobuf.Any':
        return this.decodeAny({ type_url: (msg.type_url as string | undefined) ?? '', value: (msg.value as Uint8Array | undefined) ?? new Uint8Array() }, path);
      case 'google.protobuf.Duration': {
        const s = toNumber(msg.seconds);
        const n = toNumber(msg.nanos);
        const neg = s < 0 || n < 0;
        return `${neg ? '-' : ''}${Math.abs(s)}${fraction(Math.abs(n))}s`;
      }
      case 'google.protobuf.Timestamp': {
        // Three fractional digits at least: the form our dumps (and JavaScript's toISOString) print.
        const iso = new Date(toNumber(msg.seconds) * 1000).toISOString().slice(0, 19);
        const n = toNumber(msg.nanos);
        return `${iso}${fraction(n) || '.000'}Z`;
      }
      case 'google.protobuf.Struct':
        return Object.fromEntries(Object.entries((msg.fields as Record<string, Plain> | undefined) ?? {}).map(([k, v]) => [k, this.valueToJson(v)]));
      case 'google.protobuf.Value':
        return this.valueToJson(msg);
      case 'google.protobuf.ListValue':
        return ((msg.values as Plain[] | undefined) ?? []).map((v) => this.valueToJson(v));
      case 'google.protobuf.FieldMask':
        return ((msg.paths as string[] | undefined) ?? []).map(camel).join(',');
      default:
        break;
    }
    const wrapped = WRAPPERS[name];
    if (wrapped) {
      const field = type.fields.value;
      return field && Object.hasOwn(msg, 'value') ? this.scalarToJson(wrapped, msg.value) : this.scalarToJson(wrapped, undefined);
    }
    const out: Record<string, unknown> = {};
    for (const field of sortedFields(type)) {
      if (!Object.hasOwn(msg, field.name)) continue;
      const v = msg[field.name];
      if (v === null || v === undefined) continue;
      const fpath = [...path, field.name];
      if (field.map) {
        const entries = Object.entries(v as Record<string, unknown>);
        if (entries.length === 0) continue;
        out[field.name] = Object.fromEntries(entries.map(([k, x]) => [k, this.singleToJson(field, x, [...fpath, k])]));
      } else if (field.repeated) {
        const list = v as unknown[];
        if (list.length === 0) continue;
        out[field.name] = list.map((x, i) => this.singleToJson(field, x, [...fpath, i]));
      } else {
        out[field.name] = this.singleToJson(field, v, fpath);
      }
    }
    return out;
  }

  private singleToJson(field: Field, v: unknown, path: Path): unknown {
    const rt = field.resolvedType;
    if (rt && 'fieldsArray' in rt) return this.messageToJson(rt, v as Plain, path);
    if (rt) {
      if (nameOf(rt) === 'google.protobuf.NullValue') return null;
      return rt.valuesById[v as number] ?? v;
    }
    return this.scalarToJson(field.type, v);
  }

  private valueToJson(v: Plain): unknown {
    if (Object.hasOwn(v, this.v.null)) return null;
    if (Object.hasOwn(v, this.v.number)) return v[this.v.number];
    if (Object.hasOwn(v, this.v.string)) return v[this.v.string];
    if (Object.hasOwn(v, this.v.bool)) return v[this.v.bool];
    if (Object.hasOwn(v, this.v.struct)) {
      const s = v[this.v.struct] as Plain;
      return Object.fromEntries(Object.entries((s.fields as Record<string, Plain> | undefined) ?? {}).map(([k, x]) => [k, this.valueToJson(x)]));
    }
    if (Object.hasOwn(v, this.v.list)) return (((v[this.v.list] as Plain).values as Plain[] | undefined) ?? []).map((x) => this.valueToJson(x));
    return null;
  }

  private scalarToJson(type: string, v: unknown): unknown {
    if (type === 'bytes') return Buffer.from((v as Uint8Array | undefined) ?? new Uint8Array()).toString('base64');
    if (INT64.has(type)) {
      if (v === undefined) return '0';
      if (typeof v === 'number' || typeof v === 'string') return String(v);
      const long = v as { low: number; high: number; unsigned: boolean; toString(): string };
      return long.toString();
    }
    if (v !== undefined) {
      if ((type === 'double' || type === 'float') && typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    }
    if (type === 'string') return '';
    if (type === 'bool') return false;
    return 0;
  }
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A synchronous codec over already loaded protos (the ADS server keeps one). */
export interface EnvoyProtoJsonCodec {
  encodeAny(json: unknown): BinaryAny;
  decodeAny(any: BinaryAny): EnvoyAny;
  /** A message of the named type (e.g. `envoy.config.listener.v3.Listener`) to binary and back. */
  encode(typeName: string, json: unknown): Uint8Array;
  decode(typeName: string, bytes: Uint8Array): unknown;
}

export function protoJsonCodec(protos: EnvoyProtos): EnvoyProtoJsonCodec {
  const codec = new Codec(protos);
  const typeOf = (typeName: string): Type => {
    const t = protos.type(typeName);
    if (!t) throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${typeName} is not a message in the loaded Envoy protos`);
    return t;
  };
  return {
    encodeAny: (json) => codec.encodeAny(json, []),
    decodeAny: (any) => codec.decodeAny(any, []),
    encode: (typeName, json) => {
      const t = typeOf(typeName);
      return t.encode(codec.messageFromJson(t, json, [])).finish();
    },
    decode: (typeName, bytes) => {
      const t = typeOf(typeName);
      return codec.messageToJson(t, t.decode(bytes) as unknown as Plain, []);
    },
  };
}

/** Loads the protos (once per process) and returns the codec. */
export async function loadProtoJsonCodec(): Promise<EnvoyProtoJsonCodec> {
  return protoJsonCodec(await loadEnvoyProtos());
}
