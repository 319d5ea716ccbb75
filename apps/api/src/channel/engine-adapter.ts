import {
  configDumpProvider,
  ConfigDumpHistory,
  MeshcapError,
  parseResourceObject,
  policyPasses,
  readLiveRuleset,
  readLocalNetwork,
  serviceDirectoryOf,
  type ConfigDumpParams,
  type Dataplane,
  type DataplaneHandle,
  type DataplanePolicies,
  type PolicyPasses,
} from '@meshcap/core';
import type { ChannelEngine } from './client.ts';

export interface EngineAdapterOptions {
  /** The passes that enforce a compiled config's policies in the proxy; default: the policy engine's `policyPasses`. */
  policyPasses?: (config: DataplanePolicies) => PolicyPasses;
  /** The installed capture rules; default: read from this network namespace with the local addresses. */
  rules?: () => Promise<unknown>;
}

/** What the rules request answers: the live rule set and the local addresses the trace needs. */
export async function readRulesForTrace(): Promise<{ ruleset: unknown; local: unknown }> {
  const [ruleset, local] = await Promise.all([readLiveRuleset(), readLocalNetwork()]);
  return { ruleset, local };
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

/**
 * The channel's view of a running dataplane engine (`startDataplane`'s handle). Each config version
 * from the control plane becomes the engine's listeners, services and policy passes; the admin
 * `/config_dump` then shows that version (Envoy's format, with its history for stamps).
 */
export function engineFromHandle(handle: DataplaneHandle, options: EngineAdapterOptions = {}): ChannelEngine {
  let dump: ReturnType<typeof configDumpProvider> | undefined;
  const history = new ConfigDumpHistory();
  return {
    async applyConfig(version, config) {
      const compiled = asCompiled(config);
      await handle.updateConfig(version, compiled.resource, (options.policyPasses ?? policyPasses)(compiled), serviceDirectoryOf(compiled));
      dump = configDumpProvider(() => ({ config: handle.config(), policies: compiled }), history);
      handle.setConfigDump(dump);
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
          if (!dump) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', 'this dataplane has no config from the control plane yet');
          return dump(params as ConfigDumpParams);
      }
    },
  };
}
