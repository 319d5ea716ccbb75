import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../errors.ts';
import { assertEnvoyJson, checkEnvoyJson, parseDurationSeconds } from './envoy-proto-check.ts';

const LISTENER = 'envoy.config.listener.v3.Listener';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';

function listener(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'inbound:passthrough:ipv4',
    address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'inbound_passthrough_ipv4', cluster: 'inbound:passthrough:ipv4' },
          },
        ],
      },
    ],
    use_original_dst: true,
    traffic_direction: 'INBOUND',
    ...extra,
  };
}

async function issues(json: unknown, type = LISTENER, options = {}): Promise<string[]> {
  return (await checkEnvoyJson(json, type, options)).map((i) => `${i.path || '(root)'}: ${i.message}`);
}

describe('checkEnvoyJson against Envoy’s protos', () => {
  it('accepts a listener as Envoy prints it (the seed’s inbound passthrough)', async () => {
    expect(await issues(listener())).toEqual([]);
  });

  it('an unknown field, even deep inside an Any, is an error with its path', async () => {
    const l = listener();
    ((l['filter_chains'] as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>)[0]!.filters[0]!.typed_config)['stat_prefx'] = 'x';
    expect(await issues(l)).toEqual(['filter_chains[0].filters[0].typed_config.stat_prefx: unknown field "stat_prefx" in envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy']);
    expect(await issues(listener({ use_orig_dst: true }))).toEqual(['use_orig_dst: unknown field "use_orig_dst" in envoy.config.listener.v3.Listener']);
  });

  it('wrong scalar types and out-of-range numbers are errors', async () => {
    const bad = listener({ address: { socket_address: { address: '0.0.0.0', port_value: '15006' } } });
    expect(await issues(bad)).toEqual(['address.socket_address.port_value: uint32 is printed as a number']);
    expect(await issues(bad, LISTENER, { canonical: false })).toEqual([]); // proto3 JSON itself accepts a quoted uint32
    expect(await issues(listener({ address: { socket_address: { address: '0.0.0.0', port_value: 1.5 } } }))).toEqual([
      'address.socket_address.port_value: uint32 must be a whole number, got 1.5',
    ]);
    expect(await issues(listener({ address: { socket_address: { address: '0.0.0.0', port_value: 70000 } } }))).toEqual([
      'address.socket_address.port_value: 70000 must be <= 65535',
    ]);
    expect(await issues(listener({ use_original_dst: 'yes' }))).toEqual(['use_original_dst: expected true or false, got the string "yes"']);
    expect(await issues(listener({ filter_chains: {} }))).toEqual(['filter_chains: expected an array for repeated field "filter_chains", got an object']);
  });

  it('an enum name the proto does not define is an error; numbers are not how Envoy prints enums', async () => {
    expect(await issues(listener({ traffic_direction: 'INGRESS' }))).toEqual([
      'traffic_direction: "INGRESS" is not a value of enum envoy.config.core.v3.TrafficDirection (UNSPECIFIED, INBOUND, OUTBOUND)',
    ]);
    expect(await issues(listener({ traffic_direction: 1 }))).toEqual(['traffic_direction: enum envoy.config.core.v3.TrafficDirection is printed by name, not number 1']);
  });

  it('an @type that resolves to no loaded message, or a malformed type URL, is an error', async () => {
    const l = listener();
    const f = (l['filter_chains'] as Array<{ filters: Array<Record<string, unknown>> }>)[0]!.filters[0]!;
    f['typed_config'] = { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxyy', stat_prefix: 'x', cluster: 'c' };
    expect(await issues(l)).toEqual([
      'filter_chains[0].filters[0].typed_config.@type: type URL "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxyy" does not resolve to a loaded message type',
    ]);
    f['typed_config'] = { stat_prefix: 'x' };
    expect(await issues(l)).toEqual(['filter_chains[0].filters[0].typed_config: an Any needs a string "@type"']);
    f['typed_config'] = { stat_prefix: 'x', '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cluster: 'c' };
    expect(await issues(l)).toEqual(['filter_chains[0].filters[0].typed_config: "@type" must come first in an Any']);
  });

  it('durations follow the proto3 JSON mapping ("5s", "0.250s") and PGV bounds', async () => {
    const cluster = { name: 'c', type: 'STATIC', connect_timeout: '5s' };
    expect(await issues(cluster, CLUSTER)).toEqual([]);
    expect(await issues({ ...cluster, connect_timeout: '5' }, CLUSTER)).toEqual(['connect_timeout: "5" is not a Duration (seconds with up to 9 fractional digits and an "s")']);
    expect(await issues({ ...cluster, connect_timeout: 5 }, CLUSTER)).toEqual(['connect_timeout: a Duration must be a string like "5s", got number 5']);
    expect(await issues({ ...cluster, connect_timeout: '0.25s' }, CLUSTER)).toEqual(['connect_timeout: Duration 0.25s: Envoy prints 0, 3, 6 or 9 fractional digits']);
    // Cluster.connect_timeout has (validate.rules).duration.gt = {}.
    expect(await issues({ ...cluster, connect_timeout: '0s' }, CLUSTER)).toEqual(['connect_timeout: 0s must be > 0s']);
    expect(parseDurationSeconds('1.500s')).toBe(1.5);
    expect(parseDurationSeconds('-2s')).toBe(-2);
    expect(parseDurationSeconds('2 s')).toBeUndefined();
  });

  it('protoc-gen-validate rules: required fields, string lengths, required oneofs', async () => {
    expect(await issues({ type: 'STATIC' }, CLUSTER)).toEqual(['name: "" must be at least 1 character(s)']);
    const tcp = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
    expect(await issues({ stat_prefix: 'x' }, tcp)).toEqual(['(root): one of "cluster", "weighted_clusters" is required (oneof "cluster_specifier" of envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy)']);
    // Proto3 JSON (not canonical) still has to satisfy Envoy's rules: max_tokens > 0.
    expect(await issues({ token_bucket: { max_tokens: 0, fill_interval: '1s' }, stat_prefix: 'r' }, 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', { canonical: false })).toEqual([
      'token_bucket.max_tokens: 0 must be > 0',
    ]);
    expect(await issues({ stat_prefix: 'r', token_bucket: { max_tokens: 5 } }, 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit')).toEqual([
      'token_bucket.fill_interval: "fill_interval" is required',
    ]);
  });

  it('two members of one oneof are an error', async () => {
    expect(await issues({ stat_prefix: 'x', cluster: 'a', weighted_clusters: { clusters: [{ name: 'a', weight: 1 }] } }, 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy')).toEqual([
      'weighted_clusters: "weighted_clusters" and "cluster" are both set, but they are members of oneof "cluster_specifier"',
    ]);
  });

  it('canonical form: defaults, nulls, camelCase names, field order, deprecated fields', async () => {
    const { traffic_direction: direction, ...rest } = listener();
    expect(await issues({ ...rest, transparent: false, traffic_direction: direction })).toEqual([]); // a BoolValue: present, so printed
    expect(await issues({ name: 'c', type: 'STATIC', connect_timeout: '5s', lb_policy: 'ROUND_ROBIN' }, CLUSTER)).toEqual(['lb_policy: "lb_policy" holds its default value; Envoy omits it']);
    expect(await issues({ name: 'l', metadata: null })).toEqual(['metadata: null: Envoy omits unset fields']);
    expect(await issues({ name: 'c', type: 'STATIC', connectTimeout: '5s' }, CLUSTER)).toEqual(['connectTimeout: Envoy prints the proto field name "connect_timeout", not "connectTimeout"']);
    expect(await issues({ name: 'c', type: 'STATIC', connectTimeout: '5s' }, CLUSTER, { canonical: false })).toEqual([]);
    expect(await issues({ name: 'x', traffic_direction: 'INBOUND', address: { socket_address: { address: '::', port_value: 1 } } })).toEqual([
      'address: field "address" (2) comes after a higher-numbered field; Envoy prints fields in field-number order',
    ]);
    expect(await issues({ name: 'l', deprecated_v1: { bind_to_port: false } })).toEqual(['deprecated_v1: field "deprecated_v1" of envoy.config.listener.v3.Listener is deprecated']);
  });

  it('a whole /config_dump: unknown admin types fail, timestamps are checked', async () => {
    const dump = {
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', version_info: '1', dynamic_listeners: [{ name: 'l', active_state: { version_info: '1', listener: { '@type': `type.googleapis.com/${LISTENER}`, ...listener() }, last_updated: '2026-11-22T10:00:00.000Z' } }] },
        { '@type': 'type.googleapis.com/envoy.admin.v3.WidgetsConfigDump' },
      ],
    };
    expect(await issues(dump, 'envoy.admin.v3.ConfigDump')).toEqual(['configs[1].@type: type URL "type.googleapis.com/envoy.admin.v3.WidgetsConfigDump" does not resolve to a loaded message type']);
    dump.configs.pop();
    expect(await issues(dump, 'envoy.admin.v3.ConfigDump')).toEqual([]);
    (dump.configs[0]!.dynamic_listeners![0]!.active_state as Record<string, unknown>)['last_updated'] = '2026-11-22 10:00';
    expect(await issues(dump, 'envoy.admin.v3.ConfigDump')).toEqual(['configs[0].dynamic_listeners[0].active_state.last_updated: "2026-11-22 10:00" is not an RFC 3339 timestamp']);
  });

  it('assertEnvoyJson throws a MeshcapError listing every issue', async () => {
    const err = await assertEnvoyJson({ name: 1, bogus: true }, CLUSTER).catch((e: unknown) => e);
    expect(isMeshcapError(err)).toBe(true);
    if (!isMeshcapError(err)) return;
    expect(err.code).toBe('MESHCAP_ERR_INVALID_RESOURCE');
    expect(err.issues.map((i) => i.path)).toEqual(['name', 'bogus']);
    expect(err.message).toContain('not a valid envoy.config.cluster.v3.Cluster');
  });
});
