import {
  MeshcapError,
  parseResourceObject,
  readLiveRuleset,
  readLocalNetwork,
  type Dataplane,
  type DataplaneHandle,
  type DataplanePolicies,
  type PolicyPasses,
  type ServiceInfo,
} from '@meshcap/core';
import type { ChannelEngine } from './client.ts';

export interface EngineAdapterOptions {
  /**
   * The passes that enforce a compiled config's policies in the proxy (the policy engine builds
   * them). Without it the dataplane runs the listeners of each version but enforces no policy.
   */
  policyPasses?: (config: DataplanePolicies) => PolicyPasses;
  /** Envoy-style config dump of the running config, for `config_dump` requests. */
  configDump?: (params: Record<string, unknown>) => unknown;
  /** The installed capture rules; default: read from this network namespace with the local addresses. */
  rules?: () => Promise<unknown>;
}

/** What the rules request answers: the live rule set and the local addresses the trace needs. */
export async function readRulesForTrace(): Promise<{ ruleset: unknown; local: unknown }> {
  const [ruleset, local] = await Promise.all([readLiveRuleset(), readLocalNetwork()]);
  return { ruleset, local };
}

/** Where each service the dataplane may call lives, from the compiled config's outbounds. */
export function servicesOf(config: DataplanePolicies): Map<string, ServiceInfo> {
  return new Map(
    config.outbounds.map((ob) => [ob.service, { endpoints: ob.endpoints.map((e) => ({ address: e.address, port: e.port })), protocol: ob.protocol === 'http' ? 'http' : 'tcp' } as ServiceInfo]),
  );
}

function asCompiled(config: unknown): DataplanePolicies {
  const c = config as Partial<DataplanePolicies> | null;
  if (!c || typeof c !== 'object' || !c.resource || !Array.isArray(c.outbounds) || !Array.isArray(c.inbounds)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'the control plane sent a config without resource, inbounds and outbounds');
  }
  // The Dataplane inside is checked like any input before the engine sees it.
  const resource = parseResourceObject(c.resource, { source: 'config' }) as unknown as Dataplane;
  return { ...(c as DataplanePolicies), resource };
}

/** The channel's view of a running dataplane engine (`startDataplane`'s handle). */
export function engineFromHandle(handle: DataplaneHandle, options: EngineAdapterOptions = {}): ChannelEngine {
  return {
    async applyConfig(version, config) {
      const compiled = asCompiled(config);
      await handle.updateConfig(version, compiled.resource, options.policyPasses?.(compiled), servicesOf(compiled));
    },
    runningVersion: () => handle.version,
    subscribeFlows: (listener) => handle.flows.subscribe(listener),
    async answer(what, params) {
      switch (what) {
        case 'stats':
          return Object.fromEntries(handle.stats().map((v) => [v.name, v.value]));
        case 'listeners':
          return handle.listeners();
        case 'rules':
          return (options.rules ?? readRulesForTrace)();
        case 'config_dump':
          if (!options.configDump) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', 'this dataplane builds no config dump');
          return options.configDump(params);
      }
    },
  };
}
