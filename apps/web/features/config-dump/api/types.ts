/**
 * Response shapes of the config_dump routes (apps/api/src/schemas/inspect.ts), from the generated
 * lib/api-types.ts.
 */
export type {
  ConfigDumpVersion,
  /** `GET .../config_dump/versions`, oldest first. */
  ConfigDumpVersionList,
  ConfigDumpChange,
  /** `GET .../config_dump/diff?from=&to=`: structured changes and the unified text. */
  ConfigDumpDiff,
} from '../../../lib/api-types.ts';

/**
 * Envoy v3 admin config dump: `{"configs": [{"@type": "...ListenersConfigDump", ...}, ...]}`. Envoy's
 * format, not meshcap's: the OpenAPI document gives it as a JSON object (`envoy.admin.v3.ConfigDump`),
 * so its shape is written here.
 */
export interface ConfigDump {
  configs: Array<{ '@type': string; [field: string]: unknown }>;
}
