/** Response shapes of the config_dump routes (realign with apps/api/API.md). */

/** Envoy v3 admin config dump: `{"configs": [{"@type": "...ListenersConfigDump", ...}, ...]}`. */
export interface ConfigDump {
  configs: Array<{ '@type': string; [field: string]: unknown }>;
}

export interface ConfigDumpVersion {
  version: string;
  time: string;
  /** What produced it (a policy toggle, a resource change…), when known. */
  reason?: string;
}

/** `GET .../config_dump/versions`, newest first. */
export interface ConfigDumpVersionList {
  items: ConfigDumpVersion[];
}

export interface ConfigDumpChange {
  op: 'added' | 'removed' | 'changed';
  /** JSON path of the change, e.g. `configs[2].dynamic_listeners[1].active_state.listener.filter_chains[0]`. */
  path: string;
  before?: unknown;
  after?: unknown;
}

/** `GET .../config_dump/diff?from=&to=`: structured changes and the unified text. */
export interface ConfigDumpDiff {
  from: string;
  to: string;
  changes: ConfigDumpChange[];
  unified: string;
}
