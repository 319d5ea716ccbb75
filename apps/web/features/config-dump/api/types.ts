/** Response shapes of the config_dump routes, as apps/api/src/schemas/inspect.ts declares them. */

/** Envoy v3 admin config dump: `{"configs": [{"@type": "...ListenersConfigDump", ...}, ...]}`. */
export interface ConfigDump {
  configs: Array<{ '@type': string; [field: string]: unknown }>;
}

export interface ConfigDumpVersion {
  version: string;
  recordedAt: string;
  /** The version the dataplane runs (ACKed last). */
  running: boolean;
}

/** `GET .../config_dump/versions`, oldest first. */
export interface ConfigDumpVersionList {
  running: string | null;
  latest: string | null;
  versions: ConfigDumpVersion[];
}

export interface ConfigDumpChange {
  kind: 'added' | 'removed' | 'changed';
  /** JSON path of the change, e.g. `configs[2].dynamic_listeners[1].active_state.listener`. */
  path: string;
  segments: unknown[];
  old?: unknown;
  new?: unknown;
}

/** `GET .../config_dump/diff?from=&to=`: structured changes and the unified text. */
export interface ConfigDumpDiff {
  fromVersion?: string;
  toVersion?: string;
  changes: ConfigDumpChange[];
  unified: string;
}
