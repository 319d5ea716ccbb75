import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { MeshcapError } from '../../errors.ts';
import { ENVOY_TYPES, packAny, typeNameOf, type EnvoyMessage } from '../../xds/envoy-json.ts';
import type { XdsResourceSet } from '../../xds/resource-set.ts';
import type { UpstreamEndpoint } from '../config.ts';
import { socketAddressOf } from './cluster.ts';
import { fields, list, optStr, reject, str } from './reader.ts';

/**
 * An Envoy bootstrap (YAML or JSON) for `meshcap dp --bootstrap`: `node.id` (`<mesh>.<name>`),
 * `admin.address`, and `static_resources` listeners and clusters, run as if a control plane had
 * sent them (`envoy -c` without xDS). Every other field is refused, with the file and field path.
 */

export interface EnvoyBootstrap {
  mesh: string;
  name: string;
  admin?: UpstreamEndpoint;
  /** A hash of the resources: the `version_info` the dump shows. */
  version: string;
  resources: XdsResourceSet;
}

/** Listeners and clusters of a bootstrap carry no `@type`; ours do, as xDS resources. */
function asResource(value: unknown, where: string, fullName: string): EnvoyMessage {
  const o = fields(value, where, Object.keys((value ?? {}) as object));
  const type = o['@type'];
  if (type !== undefined && typeNameOf(str(type, `${where}.@type`)) !== fullName) reject(`${where}.@type`, `is ${String(type)}, expected ${fullName}`);
  const { '@type': _type, ...rest } = o;
  return packAny(fullName, rest);
}

function parse(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${source}: not YAML or JSON: ${problem.message}`, [{ path: source, message: problem.message }]);
  return doc.toJS();
}

/** Throws MeshcapError naming `source` and the field path. */
export function loadEnvoyBootstrap(text: string, source: string): EnvoyBootstrap {
  try {
    const b = fields(parse(text, source), 'bootstrap', ['node', 'admin', 'static_resources']);
    const node = fields(b['node'], 'node', ['id', 'cluster']);
    const id = str(node['id'], 'node.id');
    const dot = id.indexOf('.');
    if (dot <= 0 || dot === id.length - 1) reject('node.id', `"${id}" is not <mesh>.<name>`);
    optStr(node['cluster'], 'node.cluster');
    let admin: UpstreamEndpoint | undefined;
    if (b['admin'] !== undefined) admin = socketAddressOf(fields(b['admin'], 'admin', ['address'])['address'], 'admin.address');
    const s = fields(b['static_resources'] ?? {}, 'static_resources', ['listeners', 'clusters']);
    const listeners = list(s['listeners'], 'static_resources.listeners').map((l, i) => asResource(l, `static_resources.listeners[${i}]`, ENVOY_TYPES.listener));
    const clusters = list(s['clusters'], 'static_resources.clusters').map((c, i) => asResource(c, `static_resources.clusters[${i}]`, ENVOY_TYPES.cluster));
    const resources: XdsResourceSet = { listeners, routes: [], clusters, endpoints: [] };
    const version = createHash('sha256').update(JSON.stringify(resources)).digest('hex').slice(0, 12);
    return { mesh: id.slice(0, dot), name: id.slice(dot + 1), admin, version, resources };
  } catch (err) {
    throw inFile(err, source);
  }
}

/**
 * A decoding error of the resources of a bootstrap, as a path in the file: `Listener "x".…`
 * becomes `static_resources.listeners[2] (Listener "x").…`.
 */
export function bootstrapError(err: unknown, source: string, resources: XdsResourceSet): unknown {
  if (!(err instanceof MeshcapError)) return err;
  const where = (text: string): string =>
    text.replace(/^(Listener|Cluster) "([^"]*)"/, (whole, kind: string, name: string) => {
      const list = kind === 'Listener' ? resources.listeners : resources.clusters;
      const i = list.findIndex((r) => r['name'] === name);
      return i < 0 ? whole : `static_resources.${kind === 'Listener' ? 'listeners' : 'clusters'}[${i}] (${whole})`;
    });
  return inFile(new MeshcapError(err.code, where(err.message), err.issues.map((i) => (i.path === undefined ? i : { ...i, path: where(i.path) })), { cause: err }), source);
}

function inFile(err: unknown, source: string): unknown {
  if (!(err instanceof MeshcapError) || err.message.startsWith(`${source}: `)) return err;
  return new MeshcapError(err.code, `${source}: ${err.message}`, err.issues.map((i) => ({ ...i, path: i.path === undefined ? source : `${source}: ${i.path}` })), { cause: err });
}
