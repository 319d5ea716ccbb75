import type { Field, Type } from 'protobufjs';
import type { EnvoyProtos } from './envoy-protos.ts';
import { typeNameOf, type EnvoyMessage } from './envoy-json.ts';

/**
 * protobuf's FieldMaskUtil as Envoy's admin uses it, on proto3 JSON: a path is valid when every
 * segment names a field and every segment but the last is a singular message field
 * (`GetFieldDescriptors`); trimming keeps only the masked fields (`TrimMessage`). JSON flattens an
 * Any into `@type` plus the packed fields, so an Any's own fields (`type_url`, `value`) map onto that.
 */

/** FieldMaskUtil::FromString: comma-separated, empty parts skipped. */
export function parseFieldMask(text: string): string[] {
  return text.split(',').filter((p) => p !== '');
}

function messageType(field: Field): Type | undefined {
  const rt = field.resolvedType;
  return rt && 'fields' in rt ? (rt as Type) : undefined;
}

function fullName(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

/** GetFieldDescriptors: does `path` name a field reachable through singular messages? */
export function isValidFieldPath(type: Type, path: string): boolean {
  let current: Type | undefined = type;
  for (const part of path.split('.')) {
    if (!current) return false;
    const field: Field | undefined = current.fields[part];
    if (!field) return false;
    current = !field.repeated && !field.map ? messageType(field) : undefined;
  }
  return true;
}

/** A FieldMaskTree: `null` marks a leaf (the whole field is kept). */
type MaskTree = Map<string, MaskTree | null>;

function buildTree(paths: readonly string[]): MaskTree {
  const root: MaskTree = new Map();
  for (const path of paths) {
    const parts = path.split('.');
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const child = node.get(part);
      if (child === null) break; // a shorter path already keeps all of it
      if (last) {
        node.set(part, null);
      } else {
        const next: MaskTree = child ?? new Map();
        node.set(part, next);
        node = next;
      }
    }
  }
  return root;
}

const SPECIAL_JSON = /^google\.protobuf\.(Duration|Timestamp|FieldMask|Struct|Value|ListValue|\w+Value)$/;

function trim(json: EnvoyMessage, type: Type, tree: MaskTree, flattenedAny: boolean): void {
  for (const key of Object.keys(json)) {
    if (flattenedAny && key === '@type') continue;
    const node = tree.get(key);
    if (node === undefined) {
      delete json[key];
      continue;
    }
    if (node === null) continue;
    const sub = messageType(type.fields[key]!)!;
    const value = json[key];
    if (typeof value !== 'object' || value === null) continue;
    const subName = fullName(sub);
    if (subName === 'google.protobuf.Any') trimAnyItself(value as EnvoyMessage, node);
    else if (!SPECIAL_JSON.test(subName)) trim(value as EnvoyMessage, sub, node, false);
    // Well-known types with a JSON form of their own (Duration, wrappers…) are kept whole.
  }
}

/** A mask into an Any's own fields: `type_url` keeps `@type`, `value` keeps the packed message. */
function trimAnyItself(any: EnvoyMessage, tree: MaskTree): void {
  if (tree.has('value')) return;
  for (const key of Object.keys(any)) if (key !== '@type' || !tree.has('type_url')) delete any[key];
}

/** checkFieldMaskAndTrimMessage: false (and `json` untouched) if a path is invalid for `type`. */
export function checkFieldMaskAndTrim(paths: readonly string[], json: EnvoyMessage, type: Type, flattenedAny = false): boolean {
  if (!paths.every((p) => isValidFieldPath(type, p))) return false;
  trim(json, type, buildTree(paths), flattenedAny);
  return true;
}

/**
 * Envoy's trimResourceMessage for one element of a dump's repeated field (a DynamicCluster, a
 * StaticRouteConfig…): paths starting with the element's singular Any field (`cluster.name`) mask the
 * packed resource, the rest mask the element. Like Envoy, a path that stops at the Any (`cluster`)
 * leaves an empty inner path, which is invalid; a DynamicListener's Any sits one level down
 * (`active_state.listener`), so masks cannot reach into it.
 */
export function trimResourceElement(paths: readonly string[], json: EnvoyMessage, type: Type, protos: EnvoyProtos): boolean {
  const outer: string[] = [];
  const inner: string[] = [];
  let anyField: string | undefined;
  for (const path of paths) {
    const frags = path.split('.');
    const field: Field | undefined = type.fields[frags[0]!];
    const sub = field && !field.repeated && !field.map ? messageType(field) : undefined;
    if (sub && fullName(sub) === 'google.protobuf.Any') {
      anyField ??= frags[0]!;
      outer.push(frags[0]!);
      inner.push(frags.slice(1).join('.'));
    } else {
      outer.push(path);
    }
  }
  if (anyField !== undefined) {
    const packed = json[anyField];
    if (typeof packed === 'object' && packed !== null) {
      const url = (packed as EnvoyMessage)['@type'];
      const innerType = typeof url === 'string' ? protos.type(typeNameOf(url)) : undefined;
      if (!innerType) return false;
      if (!checkFieldMaskAndTrim(inner, packed as EnvoyMessage, innerType, true)) return false;
    }
  }
  return checkFieldMaskAndTrim(outer, json, type);
}
