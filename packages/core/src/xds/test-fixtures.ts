import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { parseResources } from '../model/index.ts';
import { PolicyCompiler, type DataplanePolicies } from '../policy/index.ts';
import { compileProxyConfig, serviceDirectory } from '../proxy/index.ts';
import { buildConfigDump } from './config-dump.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';
import { checkEnvoyJson } from './envoy-proto-check.ts';
import type { ConfigDumpInput } from './input.ts';

/** Test-only: a mesh in a real PolicyCompiler, its dumps built from real compiled configs. Not exported from the package. */

export const T0 = new Date('2026-11-22T10:00:00.000Z');

// The seed's demo-app (Kong Mesh "Transparent Proxying": inbound:10.244.0.6:5000, http), moved to
// the benchmarking range our tests use: 198.18.0.6. It calls redis, another dataplane.
export const SEED = `
type: Dataplane
mesh: default
name: demo-app
networking:
  address: 198.18.0.6
  inbound:
    - port: 5000
      tags:
        kuma.io/service: demo-app
        kuma.io/protocol: http
  outbound:
    - port: 6379
      address: 198.18.0.20
      tags:
        kuma.io/service: redis
  transparentProxying:
    redirectPortInbound: 15006
    redirectPortOutbound: 15001
---
type: Dataplane
mesh: default
name: redis
networking:
  address: 198.18.0.20
  inbound:
    - port: 6379
      tags:
        kuma.io/service: redis
`;


/** A PolicyCompiler whose clock moves one minute per reading, from T0. */
export function meshWith(yaml: string): PolicyCompiler {
  let tick = 0;
  const pc = new PolicyCompiler({ now: () => new Date(T0.getTime() + 60_000 * tick++) });
  pc.applyAll(parseResources(yaml));
  return pc;
}

/** The inputs the dataplane engine has: the proxy config it runs, compiled from the same Dataplane, and the policies. */
export function inputFor(pc: PolicyCompiler, dataplane: string, extra: Partial<ConfigDumpInput> = {}, mesh = 'default'): ConfigDumpInput {
  const policies: DataplanePolicies = pc.compile(mesh, dataplane);
  const config = compileProxyConfig(policies.resource, { version: policies.version.versionInfo, services: serviceDirectory(pc.dataplanes(mesh)) });
  return { config, policies, ...extra };
}

export function dumpFor(pc: PolicyCompiler, dataplane: string, extra: Partial<ConfigDumpInput> = {}): EnvoyConfigDump {
  return buildConfigDump(inputFor(pc, dataplane, extra));
}

/** Every dump a test produces goes through this: Envoy's protos, strictly, in the form Envoy prints. */
export async function expectEnvoyValid(json: unknown, typeName = 'envoy.admin.v3.ConfigDump'): Promise<void> {
  const issues = await checkEnvoyJson(json, typeName);
  expect(issues, issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toEqual([]);
}

/** Compares `text` with __golden__/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(name: string, text: string): void {
  const file = path.join(import.meta.dirname, '__golden__', name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run with UPDATE_GOLDEN=1 to create it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** The config of one admin type in a dump. */
export function configOf(dump: EnvoyConfigDump, shortType: string): Record<string, unknown> {
  const c = dump.configs?.find((x) => x['@type'].endsWith(`.${shortType}`));
  if (!c) throw new Error(`no ${shortType} in the dump`);
  return c;
}

type Obj = Record<string, unknown>;

/** A dynamic listener's Listener by name. */
export function listenerOf(dump: EnvoyConfigDump, name: string): Obj {
  const list = configOf(dump, 'ListenersConfigDump')['dynamic_listeners'] as Obj[];
  const l = list.find((d) => d['name'] === name);
  if (!l) throw new Error(`no listener ${name}; have ${list.map((d) => d['name']).join(', ')}`);
  return (l['active_state'] as Obj)['listener'] as Obj;
}

/** A dynamic cluster's Cluster by name. */
export function clusterOf(dump: EnvoyConfigDump, name: string): Obj {
  const list = configOf(dump, 'ClustersConfigDump')['dynamic_active_clusters'] as Obj[];
  const c = list.map((d) => d['cluster'] as Obj).find((x) => x['name'] === name);
  if (!c) throw new Error(`no cluster ${name}`);
  return c;
}

/**
 * The filter chain Envoy picks for a connection from `client` (no client: an address no chain
 * names): the chain whose `source_prefix_ranges` contain it (our ranges are /32 and /128), else
 * the chain without a source match.
 */
export function chainFor(listener: Obj, client?: string): Obj {
  const chains = listener['filter_chains'] as Obj[];
  const ranges = (c: Obj): Obj[] => ((c['filter_chain_match'] as Obj | undefined)?.['source_prefix_ranges'] as Obj[] | undefined) ?? [];
  const bySource = client === undefined ? undefined : chains.find((c) => ranges(c).some((r) => r['address_prefix'] === client));
  const chain = bySource ?? chains.find((c) => ranges(c).length === 0);
  if (!chain) throw new Error(`no filter chain of ${String(listener['name'])} for ${client ?? 'an unknown client'}`);
  return chain;
}

/** The typed_config of filter `name` in the chain Envoy picks for `client` (default: the catch-all chain). */
export function networkFilter(listener: Obj, name: string, client?: string): Obj {
  const f = (chainFor(listener, client)['filters'] as Obj[]).find((x) => x['name'] === name);
  if (!f) throw new Error(`no filter ${name}`);
  return f['typed_config'] as Obj;
}

export function httpFilterNames(listener: Obj, client?: string): string[] {
  const hcm = networkFilter(listener, 'envoy.filters.network.http_connection_manager', client);
  return (hcm['http_filters'] as Obj[]).map((f) => f['name'] as string);
}
