import { createHash } from 'node:crypto';
import { formatIssue, MeshcapError, type ErrorIssue } from '../errors.ts';
import type { Dataplane } from '../model/dataplane.ts';
import type { Mesh } from '../model/mesh.ts';
import { parseResourceObject, type Resource } from '../model/parse.ts';
import { isPolicyType, POLICY_TYPES, type PolicyResource, type PolicyType } from '../model/policies/index.ts';
import { affectedDataplanes } from './affected.ts';
import { compileMesh, toggleKey, type DataplanePoliciesContent } from './compile.ts';
import type { AffectedDataplane, ConfigVersion, DataplanePolicies } from './types.ts';

/**
 * The policy compiler: meshes, dataplanes, policies and per-dataplane toggles in memory, and the
 * compiled config of every dataplane. Every change recompiles the meshes it touches and gives a new
 * version to exactly the dataplanes whose config content changed (compared by content hash). The
 * control plane persists resources, toggles and `versions()`; this class keeps no files.
 *
 * Versions: per dataplane, `counter` starts at 1 and grows by one each time the content hash
 * changes; `versionInfo` is `<counter>-<hash prefix>`. A change that leaves a dataplane's content as
 * it was (a policy that does not match it, a toggle re-set to its current value) keeps its version.
 * Seeding `versions` from storage keeps counters across restarts: the same content keeps its
 * counter, different content continues from it. `adoptVersions` does the same while running, so
 * that control plane replicas sharing a store give the same content the same counter.
 */

export interface ConfigChange {
  mesh: string;
  dataplane: string;
  /** The new version; absent when the dataplane (or its mesh) was removed. */
  version?: ConfigVersion;
  previous?: ConfigVersion;
}

export interface ChangeResult {
  /** The dataplanes whose config changed, sorted by mesh then name. */
  changes: ConfigChange[];
}

export interface PolicyToggle {
  mesh: string;
  dataplane: string;
  policyType: PolicyType;
  policyName: string;
  enabled: boolean;
}

export interface StoredVersion {
  mesh: string;
  dataplane: string;
  counter: number;
  hash: string;
}

/** A service's virtual IP, as the control plane's store keeps it. */
export interface ServiceVip {
  mesh: string;
  service: string;
  address: string;
}

export interface PolicyCompilerOptions {
  /** Create the `default` mesh at start, as Kuma does. Default true. */
  defaultMesh?: boolean;
  /** Virtual IPs of services, in force from the first compile (see `setVips`). */
  vips?: readonly ServiceVip[];
  /** Versions from a previous run (see the class comment). */
  versions?: readonly StoredVersion[];
  /**
   * Toggles from a previous run, in force from the first compile: a dataplane whose resources and
   * toggles are what they were compiles once, to the content (and version) it had.
   */
  toggles?: readonly PolicyToggle[];
  now?: () => Date;
  /** Called when a change listener throws; the change itself stands. Default: console.error. */
  onListenerError?: (err: unknown) => void;
}

interface MeshEntry {
  mesh: Mesh;
  dataplanes: Map<string, Dataplane>;
  /** By `Type/name`. */
  policies: Map<string, PolicyResource>;
  /** Dataplane name → `Type/name` keys toggled off. */
  disabled: Map<string, Set<string>>;
}

const EMPTY = new Set<string>();

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** JSON with object keys sorted, so equal content hashes equally (tags keep the order they were written in). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function notFound(message: string): MeshcapError {
  return new MeshcapError('MESHCAP_ERR_NOT_FOUND', message);
}

export class PolicyCompiler {
  private readonly meshEntries = new Map<string, MeshEntry>();
  private readonly compiled = new Map<string, DataplanePolicies>();
  private readonly seeds = new Map<string, StoredVersion>();
  /** Mesh → dataplane → toggled-off `Type/name` keys, waiting for their mesh to be applied. */
  private readonly restoredToggles = new Map<string, Map<string, Set<string>>>();
  private readonly listeners = new Set<(result: ChangeResult) => void>();
  /** Mesh → service → virtual IP. */
  private readonly vips = new Map<string, Map<string, string>>();
  private readonly now: () => Date;
  private readonly onListenerError: (err: unknown) => void;

  constructor(options: PolicyCompilerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.onListenerError = options.onListenerError ?? ((err) => console.error('meshcap: a policy change listener failed:', err));
    for (const v of options.versions ?? []) this.seeds.set(`${v.mesh}/${v.dataplane}`, v);
    for (const t of options.toggles ?? []) {
      if (t.enabled) continue;
      const byDataplane = this.restoredToggles.get(t.mesh) ?? new Map<string, Set<string>>();
      byDataplane.set(t.dataplane, (byDataplane.get(t.dataplane) ?? new Set()).add(toggleKey(t.policyType, t.policyName)));
      this.restoredToggles.set(t.mesh, byDataplane);
    }
    if (options.defaultMesh !== false) this.meshEntries.set('default', this.newMesh({ type: 'Mesh', name: 'default' }));
    this.groupVips(options.vips ?? []);
  }

  private groupVips(records: readonly ServiceVip[]): Map<string, Map<string, string>> {
    const next = new Map<string, Map<string, string>>();
    for (const v of records) next.set(v.mesh, (next.get(v.mesh) ?? new Map<string, string>()).set(v.service, v.address));
    const changed = new Map<string, Map<string, string>>();
    for (const mesh of new Set([...next.keys(), ...this.vips.keys()])) {
      const a = next.get(mesh) ?? new Map<string, string>();
      const b = this.vips.get(mesh) ?? new Map<string, string>();
      if (a.size !== b.size || [...a].some(([k, v]) => b.get(k) !== v)) changed.set(mesh, a);
    }
    for (const [mesh, m] of changed) {
      if (m.size === 0) this.vips.delete(mesh);
      else this.vips.set(mesh, m);
    }
    return changed;
  }

  /**
   * Replaces the virtual IPs of every mesh (the store's whole list) and recompiles the meshes whose
   * VIPs changed. A VIP of a service no dataplane provides yet changes no config: give a service its
   * VIP before the Dataplane that brings it, and it has the VIP from its first version.
   */
  setVips(records: readonly ServiceVip[]): ChangeResult {
    return this.recompile(new Set(this.groupVips(records).keys()));
  }

  /** Validates and stores one resource (Mesh, Dataplane or a policy; universal or Kubernetes format). */
  apply(resource: Resource | unknown): ChangeResult {
    return this.applyAll([resource]);
  }

  /**
   * Validates every resource first and stores them only if all are valid and their meshes exist
   * (or are in the batch): on any error nothing changes. Meshes in the batch are stored first.
   */
  applyAll(resources: ReadonlyArray<Resource | unknown>): ChangeResult {
    const issues: ErrorIssue[] = [];
    const valid: Resource[] = [];
    resources.forEach((raw, document) => {
      try {
        const r = parseResourceObject(raw);
        if (r.type !== 'Mesh' && r.type !== 'Dataplane' && !isPolicyType(r.type)) {
          issues.push({ document, path: 'type', message: `${r.type} is not a resource the policy compiler holds (Mesh, Dataplane, ${POLICY_TYPES.join(', ')})` });
        } else valid.push(r);
      } catch (err) {
        if (!(err instanceof MeshcapError)) throw err;
        issues.push(...err.issues.map((i) => ({ ...i, document: resources.length > 1 ? document : i.document })));
        if (err.issues.length === 0) issues.push({ document, message: err.message });
      }
    });
    if (issues.length > 0) {
      const code = issues.some((i) => i.message.startsWith('unknown resource type')) ? 'MESHCAP_ERR_UNKNOWN_KIND' : 'MESHCAP_ERR_INVALID_RESOURCE';
      throw new MeshcapError(code, issues.map(formatIssue).join('; '), issues);
    }
    const meshes = new Set([...this.meshEntries.keys(), ...valid.filter((r) => r.type === 'Mesh').map((r) => r.name)]);
    for (const r of valid) {
      if (r.type !== 'Mesh' && !meshes.has(r.mesh!)) throw notFound(`mesh "${r.mesh}" of ${r.type} "${r.name}" does not exist; apply the Mesh first`);
    }

    const touched = new Set<string>();
    for (const r of [...valid.filter((r) => r.type === 'Mesh'), ...valid.filter((r) => r.type !== 'Mesh')]) {
      if (r.type === 'Mesh') {
        const entry = this.meshEntries.get(r.name);
        if (entry) entry.mesh = r as Mesh;
        else this.meshEntries.set(r.name, this.newMesh(r as Mesh));
        touched.add(r.name);
        continue;
      }
      const entry = this.meshEntries.get(r.mesh!)!;
      if (r.type === 'Dataplane') entry.dataplanes.set(r.name, r as Dataplane);
      else entry.policies.set(toggleKey(r.type, r.name), r as unknown as PolicyResource);
      touched.add(r.mesh!);
    }
    return this.recompile(touched);
  }

  /** Removes a resource. For `Mesh`, `name` is the mesh and everything in it goes too. */
  delete(type: string, mesh: string, name: string): ChangeResult {
    if (type === 'Mesh') {
      if (!this.meshEntries.delete(name)) throw notFound(`mesh "${name}" does not exist`);
      return this.recompile(new Set([name]));
    }
    const entry = this.meshEntries.get(mesh);
    if (!entry) throw notFound(`mesh "${mesh}" does not exist`);
    if (type === 'Dataplane') {
      if (!entry.dataplanes.delete(name)) throw notFound(`Dataplane "${name}" does not exist in mesh "${mesh}"`);
      entry.disabled.delete(name);
    } else if (isPolicyType(type)) {
      const key = toggleKey(type, name);
      if (!entry.policies.delete(key)) throw notFound(`${type} "${name}" does not exist in mesh "${mesh}"`);
      // A toggle belongs to the policy it was set on; a policy applied again later starts enabled.
      for (const set of entry.disabled.values()) set.delete(key);
    } else {
      throw new MeshcapError('MESHCAP_ERR_UNKNOWN_KIND', `unknown resource type "${type}" (known: Mesh, Dataplane, ${POLICY_TYPES.join(', ')})`);
    }
    return this.recompile(new Set([mesh]));
  }

  /** Turns one policy off (or back on) for one dataplane. */
  setToggle(mesh: string, dataplane: string, policyType: string, policyName: string, enabled: boolean): ChangeResult {
    const entry = this.meshEntries.get(mesh);
    if (!entry) throw notFound(`mesh "${mesh}" does not exist`);
    if (!entry.dataplanes.has(dataplane)) throw notFound(`Dataplane "${dataplane}" does not exist in mesh "${mesh}"`);
    if (!isPolicyType(policyType)) throw new MeshcapError('MESHCAP_ERR_UNKNOWN_KIND', `"${policyType}" is not a policy type (known: ${POLICY_TYPES.join(', ')})`);
    const key = toggleKey(policyType, policyName);
    if (!entry.policies.has(key)) throw notFound(`${policyType} "${policyName}" does not exist in mesh "${mesh}"`);
    const set = entry.disabled.get(dataplane) ?? new Set<string>();
    if (enabled) set.delete(key);
    else set.add(key);
    if (set.size > 0) entry.disabled.set(dataplane, set);
    else entry.disabled.delete(dataplane);
    // Toggles are per dataplane: no other config can change.
    return this.recompile(new Set([mesh]), dataplane);
  }

  isEnabled(mesh: string, dataplane: string, policyType: string, policyName: string): boolean {
    return !this.meshEntries.get(mesh)?.disabled.get(dataplane)?.has(toggleKey(policyType, policyName));
  }

  /** The toggles that are off, for persistence (`enabled` is always false here). */
  toggles(mesh?: string): PolicyToggle[] {
    const out: PolicyToggle[] = [];
    for (const [meshName, entry] of this.meshEntries) {
      if (mesh !== undefined && mesh !== meshName) continue;
      for (const [dataplane, keys] of entry.disabled) {
        for (const key of keys) {
          const [policyType, policyName] = key.split('/') as [PolicyType, string];
          out.push({ mesh: meshName, dataplane, policyType, policyName, enabled: false });
        }
      }
    }
    return out.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
  }

  /** The compiled config of a dataplane (frozen; shared, do not modify). */
  compile(mesh: string, dataplane: string): DataplanePolicies {
    const compiled = this.compiled.get(`${mesh}/${dataplane}`);
    if (!compiled) throw notFound(`Dataplane "${dataplane}" does not exist in mesh "${mesh}"`);
    return compiled;
  }

  version(mesh: string, dataplane: string): ConfigVersion | undefined {
    return this.compiled.get(`${mesh}/${dataplane}`)?.version;
  }

  /** Every dataplane's current version, for persistence. */
  versions(): StoredVersion[] {
    return [...this.compiled.values()].map((c) => ({ mesh: c.mesh, dataplane: c.dataplane, counter: c.version.counter, hash: c.version.hash }));
  }

  meshes(): Mesh[] {
    return [...this.meshEntries.values()].map((e) => e.mesh).sort(byName);
  }

  getMesh(name: string): Mesh | undefined {
    return this.meshEntries.get(name)?.mesh;
  }

  dataplanes(mesh: string): Dataplane[] {
    return [...(this.meshEntries.get(mesh)?.dataplanes.values() ?? [])].sort(byName);
  }

  getDataplane(mesh: string, name: string): Dataplane | undefined {
    return this.meshEntries.get(mesh)?.dataplanes.get(name);
  }

  /** Policies of a mesh, by type (in POLICY_TYPES order) then name. */
  policies(mesh: string, type?: PolicyType): PolicyResource[] {
    const all = [...(this.meshEntries.get(mesh)?.policies.values() ?? [])].filter((p) => type === undefined || p.type === type);
    return all.sort((a, b) => POLICY_TYPES.indexOf(a.type) - POLICY_TYPES.indexOf(b.type) || byName(a, b));
  }

  getPolicy(mesh: string, type: string, name: string): PolicyResource | undefined {
    return this.meshEntries.get(mesh)?.policies.get(toggleKey(type, name));
  }

  /** Every stored resource, meshes first: what to persist, or to apply to a fresh compiler. */
  resources(): Resource[] {
    const meshes = this.meshes();
    return [...meshes, ...meshes.flatMap((m) => [...this.dataplanes(m.name), ...this.policies(m.name)])] as Resource[];
  }

  /** Where a stored policy applies, with each dataplane's toggle. */
  affectedDataplanes(mesh: string, type: string, name: string): AffectedDataplane[] {
    const policy = this.getPolicy(mesh, type, name);
    if (!policy) throw notFound(`${type} "${name}" does not exist in mesh "${mesh}"`);
    return affectedDataplanes(policy, this.dataplanes(mesh), (dp) => this.isEnabled(mesh, dp, type, name));
  }

  /** Calls `listener` after every change that gave some dataplane a new version. Returns an unsubscribe. */
  /**
   * Versions another writer (a control plane replica sharing the store) gave. A dataplane whose
   * config already has that content but a lower counter (this replica missed states in between,
   * e.g. a toggle turned off and on) takes the stored counter now, as a change; for the others the
   * next compile takes the stored counter when it reaches the stored hash, and continues from it
   * otherwise. Replaces earlier seeds.
   */
  adoptVersions(versions: readonly StoredVersion[]): ChangeResult {
    this.seeds.clear();
    const changes: ConfigChange[] = [];
    for (const v of versions) {
      const key = `${v.mesh}/${v.dataplane}`;
      const current = this.compiled.get(key);
      if (current?.version.hash !== v.hash) {
        this.seeds.set(key, v);
        continue;
      }
      if (current.version.counter >= v.counter) continue;
      const version = this.versionOf(v.counter, v.hash);
      this.compiled.set(key, deepFreeze({ ...current, version }));
      changes.push({ mesh: v.mesh, dataplane: v.dataplane, version, previous: current.version });
    }
    return this.announce(changes);
  }

  private versionOf(counter: number, hash: string): ConfigVersion {
    return { counter, hash, versionInfo: `${counter}-${hash.slice(0, 12)}`, updatedAt: this.now().toISOString() };
  }

  /** Sorts the changes and tells the listeners, if there are any. */
  private announce(changes: ConfigChange[]): ChangeResult {
    changes.sort((a, b) => (a.mesh === b.mesh ? (a.dataplane < b.dataplane ? -1 : 1) : a.mesh < b.mesh ? -1 : 1));
    const result = { changes };
    if (changes.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(result);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    }
    return result;
  }

  onChange(listener: (result: ChangeResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private newMesh(mesh: Mesh): MeshEntry {
    const disabled = this.restoredToggles.get(mesh.name) ?? new Map<string, Set<string>>();
    this.restoredToggles.delete(mesh.name);
    return { mesh, dataplanes: new Map(), policies: new Map(), disabled };
  }

  private recompile(meshes: ReadonlySet<string>, onlyDataplane?: string): ChangeResult {
    const changes: ConfigChange[] = [];
    for (const meshName of [...meshes].sort()) {
      const entry = this.meshEntries.get(meshName);
      const contents = entry
        ? compileMesh({
            mesh: entry.mesh,
            meshName,
            dataplanes: [...entry.dataplanes.values()],
            policies: [...entry.policies.values()],
            disabled: (dp) => entry.disabled.get(dp) ?? EMPTY,
            vips: this.vips.get(meshName),
          }, onlyDataplane === undefined ? undefined : new Set([onlyDataplane]))
        : new Map<string, DataplanePoliciesContent>();
      for (const [key, previous] of this.compiled) {
        if (onlyDataplane === undefined && previous.mesh === meshName && !contents.has(previous.dataplane)) {
          this.compiled.delete(key);
          changes.push({ mesh: meshName, dataplane: previous.dataplane, previous: previous.version });
        }
      }
      for (const [name, content] of contents) {
        const key = `${meshName}/${name}`;
        const hash = createHash('sha256').update(canonicalJson(content)).digest('hex');
        const previous = this.compiled.get(key);
        if (previous?.version.hash === hash) continue;
        const seed = this.seeds.get(key);
        this.seeds.delete(key);
        const base = Math.max(previous?.version.counter ?? 0, seed?.counter ?? 0);
        const counter = seed?.hash === hash ? seed.counter : base + 1;
        const version = this.versionOf(counter, hash);
        this.compiled.set(key, deepFreeze({ ...content, version }));
        if (seed?.hash !== hash || previous) changes.push({ mesh: meshName, dataplane: name, version, ...(previous ? { previous: previous.version } : {}) });
      }
    }
    return this.announce(changes);
  }
}
