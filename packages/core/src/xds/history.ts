import { MeshcapError } from '../errors.ts';
import { buildConfigDump, configDumpVersion } from './config-dump.ts';
import { diffConfigDumps, type ConfigDumpDiff, type DiffOptions } from './diff.ts';
import type { EnvoyConfigDump } from './envoy-json.ts';
import type { ConfigDumpInput } from './input.ts';

/** The last N config dumps of each dataplane, oldest first, and diffs between any two of them. */

export interface ConfigDumpRecord {
  version: string;
  /** When this version was recorded (ISO 8601). */
  recordedAt: string;
  dump: EnvoyConfigDump;
}

export interface ConfigDumpHistoryOptions {
  /** Versions kept per dataplane (default 20). */
  limit?: number;
}

export const DEFAULT_CONFIG_DUMP_HISTORY = 20;

export class ConfigDumpHistory {
  readonly limit: number;
  private readonly byDataplane = new Map<string, ConfigDumpRecord[]>();

  constructor(options: ConfigDumpHistoryOptions = {}) {
    const limit = options.limit ?? DEFAULT_CONFIG_DUMP_HISTORY;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `config dump history limit must be a whole number of at least 1, got ${limit}`, [
        { path: 'limit', message: 'must be a whole number >= 1' },
      ]);
    }
    this.limit = limit;
  }

  /**
   * Adds a dump as the dataplane's newest version (its `version_info`). Recording the newest version
   * again is a no-op; the same version with other content is a conflict. The oldest versions beyond
   * the limit are dropped.
   */
  record(dataplane: string, dump: EnvoyConfigDump, recordedAt: Date = new Date()): ConfigDumpRecord {
    const version = configDumpVersion(dump);
    if (version === undefined) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `the config dump for ${dataplane} has no version_info`);
    }
    const list = this.byDataplane.get(dataplane) ?? [];
    const existing = list.find((r) => r.version === version);
    if (existing) {
      if (existing === list[list.length - 1] && JSON.stringify(existing.dump) === JSON.stringify(dump)) return existing;
      throw new MeshcapError('MESHCAP_ERR_CONFLICT', `version ${version} of ${dataplane} is already recorded with other content`);
    }
    const rec: ConfigDumpRecord = { version, recordedAt: recordedAt.toISOString(), dump };
    list.push(rec);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.byDataplane.set(dataplane, list);
    return rec;
  }

  /** Builds the dump from `input` against the dataplane's newest one (so unchanged resources keep their stamps) and records it. */
  buildAndRecord(dataplane: string, input: Omit<ConfigDumpInput, 'previous'>): ConfigDumpRecord {
    const dump = buildConfigDump({ ...input, previous: this.latest(dataplane)?.dump });
    return this.record(dataplane, dump);
  }

  /** Oldest first. */
  versions(dataplane: string): readonly ConfigDumpRecord[] {
    return this.byDataplane.get(dataplane) ?? [];
  }

  latest(dataplane: string): ConfigDumpRecord | undefined {
    const list = this.byDataplane.get(dataplane);
    return list?.[list.length - 1];
  }

  /** The version the dataplane runs (`running`, as it ACKed) if kept, else the newest. */
  inForce(dataplane: string, running: string | null | undefined): ConfigDumpRecord | undefined {
    return this.versions(dataplane).find((r) => r.version === running) ?? this.latest(dataplane);
  }

  get(dataplane: string, version: string): ConfigDumpRecord | undefined {
    return this.byDataplane.get(dataplane)?.find((r) => r.version === version);
  }

  /** Diff between two recorded versions (older one first); throws MESHCAP_ERR_NOT_FOUND naming a version that is not kept. */
  diff(dataplane: string, fromVersion: string, toVersion: string, options?: DiffOptions): ConfigDumpDiff {
    const pick = (version: string, which: string): ConfigDumpRecord => {
      const r = this.get(dataplane, version);
      if (r) return r;
      const kept = this.versions(dataplane).map((v) => v.version);
      throw new MeshcapError(
        'MESHCAP_ERR_NOT_FOUND',
        `version ${version} of ${dataplane} is not in the history (${kept.length ? `kept: ${kept.join(', ')}` : 'no versions kept'})`,
        [{ path: which, message: 'unknown version' }],
      );
    };
    return diffConfigDumps(pick(fromVersion, 'from').dump, pick(toVersion, 'to').dump, options);
  }

  /**
   * Adds the records of versions not kept yet (another control plane replica recorded them), in
   * the order they were recorded; a version kept already stays as it is. The oldest beyond the
   * limit are dropped. Returns how many were added.
   */
  merge(dataplane: string, records: readonly ConfigDumpRecord[]): number {
    const list = [...(this.byDataplane.get(dataplane) ?? [])];
    const known = new Set(list.map((r) => r.version));
    const added = records.filter((r) => !known.has(r.version) && known.add(r.version));
    if (added.length === 0) return 0;
    list.push(...added);
    // A stable sort: records of one instant keep the order they came in.
    list.sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.byDataplane.set(dataplane, list);
    return added.length;
  }

  /** Drops a dataplane's history (it was deleted). */
  forget(dataplane: string): void {
    this.byDataplane.delete(dataplane);
  }

  dataplanes(): string[] {
    return [...this.byDataplane.keys()];
  }
}
