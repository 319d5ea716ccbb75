import { MeshcapError, readLiveRuleset, readLocalNetwork, type DataplaneHandle } from '@meshcap/core';
import type { ChannelEngine } from './client.ts';

export interface EngineAdapterOptions {
  /** The installed capture rules; default: read from this network namespace with the local addresses. */
  rules?: () => Promise<unknown>;
}

/** What the rules request answers: the live rule set and the local addresses the trace needs. */
export async function readRulesForTrace(): Promise<{ ruleset: unknown; local: unknown }> {
  const [ruleset, local] = await Promise.all([readLiveRuleset(), readLocalNetwork()]);
  return { ruleset, local };
}

/**
 * The channel's view of a running dataplane engine (`startDataplane`'s handle): its flows, and
 * answers to the control plane's inspect requests. Its `config_dump` is the engine's own: the
 * Envoy resources in force, as the ADS server sent them.
 */
export function engineFromHandle(handle: DataplaneHandle, options: EngineAdapterOptions = {}): ChannelEngine {
  return {
    subscribeFlows: (listener) => handle.flows.subscribe(listener),
    async answer(what, params) {
      switch (what) {
        case 'stats':
          return Object.fromEntries(handle.stats().map((v) => [v.name, v.value]));
        case 'listeners':
          return handle.listeners();
        case 'clusters':
          return handle.clusters();
        case 'rules':
          return (options.rules ?? readRulesForTrace)();
        case 'config_dump': {
          const dump = handle.configDump();
          if (!dump) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', 'this dataplane has no config from the control plane yet');
          return dump(new URLSearchParams(Object.entries(params).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]]))));
        }
      }
    },
  };
}
