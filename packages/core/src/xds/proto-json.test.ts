import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../errors.ts';
import { loadProtoJsonCodec } from './proto-json.ts';

const goldenDir = path.join(import.meta.dirname, '__golden__');
const goldens = readdirSync(goldenDir).filter((f) => f.endsWith('.json'));

/** Every Any in a JSON tree that packs an xDS resource (Listener, Cluster, RouteConfiguration, ClusterLoadAssignment). */
function resourcesOf(json: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(json)) for (const x of json) resourcesOf(x, out);
  else if (json && typeof json === 'object') {
    const t = (json as Record<string, unknown>)['@type'];
    if (typeof t === 'string' && /\.(Listener|Cluster|RouteConfiguration|ClusterLoadAssignment)$/.test(t)) out.push(json as Record<string, unknown>);
    for (const v of Object.values(json)) resourcesOf(v, out);
  }
  return out;
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isMeshcapError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('no error thrown');
}

describe('proto JSON ↔ binary', () => {
  it.each(goldens)('round-trips every resource of %s', async (file) => {
    const codec = await loadProtoJsonCodec();
    const dump = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as unknown;
    const resources = resourcesOf(dump);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      const any = codec.encodeAny(r);
      expect(any.type_url).toBe(r['@type']);
      expect(any.value.length).toBeGreaterThan(0);
      expect(codec.decodeAny(any)).toEqual(r);
    }
  });

  it.each(goldens)('round-trips the whole config dump %s (Timestamps, nested Anys)', async (file) => {
    const codec = await loadProtoJsonCodec();
    const dump = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as unknown;
    const bytes = codec.encode('envoy.admin.v3.ConfigDump', dump);
    expect(codec.decode('envoy.admin.v3.ConfigDump', bytes)).toEqual(dump);
  });

  it('round-trips well-known types: wrappers, Struct, int64 strings, enums, Durations with fractions', async () => {
    const codec = await loadProtoJsonCodec();
    const cluster = {
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: 'c',
      type: 'EDS',
      connect_timeout: '0.250s',
      per_connection_buffer_limit_bytes: 32768,
      metadata: { filter_metadata: { meshcap: { a: 1, b: 'x', c: [true, null], d: { e: 'f' } } } },
      max_requests_per_connection: 7,
      lb_policy: 'RING_HASH',
      ring_hash_lb_config: { minimum_ring_size: '1024', maximum_ring_size: '8388608' },
      typed_extension_protocol_options: {
        wrapped: { '@type': 'type.googleapis.com/google.protobuf.UInt32Value', value: 5 },
      },
    };
    expect(codec.decodeAny(codec.encodeAny(cluster))).toEqual(cluster);
  });

  it('refuses an unknown field, naming its path', async () => {
    const codec = await loadProtoJsonCodec();
    const e = errorOf(() =>
      codec.encodeAny({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'c', load_assignment: { cluster_name: 'c', bogus: 1 } }),
    );
    expect(e.code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    expect(e.message).toContain('load_assignment.bogus');
  });

  it('refuses wrong types, bad Durations, unknown enum names and unresolvable @type', async () => {
    const codec = await loadProtoJsonCodec();
    const base = { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster' };
    expect(errorOf(() => codec.encodeAny({ ...base, name: 5 })).message).toContain('name: a string is needed');
    expect(errorOf(() => codec.encodeAny({ ...base, connect_timeout: '5' })).message).toContain('connect_timeout');
    expect(errorOf(() => codec.encodeAny({ ...base, type: 'NOPE' })).message).toContain('type: "NOPE" is not a value of enum');
    expect(errorOf(() => codec.encodeAny({ ...base, per_connection_buffer_limit_bytes: -1 })).message).toContain('cannot be negative');
    expect(errorOf(() => codec.encodeAny({ '@type': 'type.googleapis.com/no.Such' })).message).toContain('@type');
    expect(errorOf(() => codec.encodeAny({ ...base, type: 'EDS', cluster_type: { name: 'x' } })).message).toContain('oneof');
  });
});
