import {
  formatIssue,
  MeshcapError,
  parseResources,
  resourceKind,
  type ChangeResult,
  type PolicyCompiler,
  meshServices,
  unknownRouteBackends,
  type Dataplane,
  type ErrorIssue,
  type Resource,
  type ServiceVip,
} from '@meshcap/core';
import type { ConfigVersionRecord, ResourceChange, ResourceKey, Store, StoredResource, Toggle } from '../store/index.ts';
import { isStoreUnreachable } from '../store/index.ts';
import { applyResources, applyToggle, compilerFromStore } from './compiler-load.ts';
import { resourceSources } from './resource-sources.ts';

/**
 * Checks a batch against what it would be applied to (e.g. a Dataplane's listeners compile); returns
 * the problems, each naming the field. `index` is the resource's position in the batch.
 */
export type BatchValidator = (batch: readonly Resource[], catalog: MeshCatalog) => Array<ErrorIssue & { index: number }>;

export interface ApplyInput {
  resource: Resource;
  source: string;
  /** Document number in the user's input, for error locations. */
  document?: number;
}

export interface ApplyResult {
  changes: ResourceChange[];
}

export const DEFAULT_MESH = 'default';

function keyOf(k: ResourceKey): string {
  return `${k.type}\u0000${k.mesh}\u0000${k.name}`;
}

function toggleKey(t: Pick<Toggle, 'mesh' | 'dataplane' | 'policyType' | 'policyName'>): string {
  return `${t.mesh}\u0000${t.dataplane}\u0000${t.policyType}\u0000${t.policyName}`;
}

/** The store key of a validated resource. */
export function storeKey(resource: Resource): ResourceKey {
  const meshScoped = resourceKind(resource.type)?.meshScoped ?? true;
  return { type: resource.type, mesh: meshScoped ? (resource.mesh ?? DEFAULT_MESH) : '', name: resource.name };
}

/**
 * The control plane's resources: stored records (source, version, timestamps) held in memory and
 * written through to the store, and the policy engine's `PolicyCompiler` fed with the same
 * resources and toggles — it compiles each dataplane's config and versions it. A batch is
 * validated whole, then compiled, then written in one store transaction; if the store refuses,
 * the compiler is put back as it was, so nothing changes anywhere. With `pollMs`, writes other
 * replicas make to a shared PostgreSQL store are followed.
 */
export class MeshCatalog {
  private stored = new Map<string, StoredResource>();
  private toggleMap = new Map<string, Toggle>();
  private readonly validators: BatchValidator[] = [];
  /** Writes run one at a time so a batch is validated against the state it is written over. */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private knownRevision = -1;
  private poller: NodeJS.Timeout | undefined;
  private unwatch: () => void = () => {};
  /** A look at the store is queued: further notices until it runs add nothing. */
  private pollQueued = false;
  /** The config version saves under way, in order. */
  private versionsSaved: Promise<void> = Promise.resolve();
  /** Stored resources the compiler refused at load (stored by an older version with laxer checks). */
  readonly loadErrors: string[] = [];

  private constructor(
    readonly store: Store,
    readonly compiler: PolicyCompiler,
    private readonly onError: (message: string) => void,
  ) {}

  /**
   * Loads the store into memory and into the compiler (creating the `default` mesh on first start),
   * persists config version counters as they change and, with `pollMs`, follows other replicas.
   */
  static async open(store: Store, opts: { pollMs?: number; onError?: (message: string) => void } = {}): Promise<MeshCatalog> {
    const onError = opts.onError ?? (() => {});
    let revision: number;
    let resources: StoredResource[];
    let toggles: Toggle[];
    let versions: Awaited<ReturnType<Store['listConfigVersions']>>;
    let vips: ServiceVip[];
    try {
      // Replicas starting together on an empty store may all get past the check: the store
      // serialises writes, so the later ones find the mesh the first created and change nothing.
      if (!(await store.getResource({ type: 'Mesh', mesh: '', name: DEFAULT_MESH }))) {
        await store.writeResources({ put: [{ resource: { type: 'Mesh', name: DEFAULT_MESH }, source: `type: Mesh\nname: ${DEFAULT_MESH}\n` }] });
      }
      // Services stored before VIPs existed (or by a replica that failed to allocate) get theirs now.
      vips = await store.allocateVips(servicesOf((await store.listResources({ type: 'Dataplane' })).map((r) => r.resource)));
      revision = await store.revision();
      [resources, toggles, versions] = await Promise.all([store.listResources(), store.listToggles(), store.listConfigVersions()]);
    } catch (err) {
      throw new MeshcapError('MESHCAP_ERR_STORE', `cannot load the ${store.kind} store at ${store.location}: ${(err as Error).message}`, [], { cause: err });
    }
    const loadErrors: string[] = [];
    const compiler = compilerFromStore(
      resources.map((r) => forCompiler(r.resource)),
      toggles,
      versions,
      { onListenerError: (err) => onError(`config listener failed: ${String(err)}`), vips },
      (message) => {
        loadErrors.push(message);
        onError(message);
      },
    );
    const catalog = new MeshCatalog(store, compiler, onError);
    catalog.stored = new Map(resources.map((r) => [keyOf(r), r]));
    catalog.toggleMap = new Map(toggles.map((t) => [toggleKey(t), t]));
    catalog.knownRevision = revision;
    catalog.loadErrors.push(...loadErrors);
    compiler.onChange((result) => catalog.persistVersions(result));
    catalog.persistVersions({ changes: compiler.versions().map((v) => ({ mesh: v.mesh, dataplane: v.dataplane, version: { ...v, versionInfo: '', updatedAt: '' } })) });
    // Other replicas' writes: announced at once (LISTEN/NOTIFY), and polled for in case a notice is lost.
    catalog.unwatch = store.watch(
      () => void catalog.pollStore(),
      (err) => onError(`not listening for other replicas' writes (polling meanwhile): ${err.message}`),
    );
    if (opts.pollMs) {
      catalog.poller = setInterval(() => void catalog.pollStore(), opts.pollMs);
      catalog.poller.unref();
    }
    return catalog;
  }

  close(): void {
    clearInterval(this.poller);
    this.unwatch();
  }

  addValidator(validator: BatchValidator): void {
    this.validators.push(validator);
  }

  /**
   * Saves the counters a compile gave. Writes wait for the saves before they commit, so a replica
   * that hears of the write finds the counters and adopts them (same content, same version everywhere).
   */
  private persistVersions(result: ChangeResult): void {
    const saved = result.changes.flatMap((c) => (c.version ? [{ mesh: c.mesh, dataplane: c.dataplane, counter: c.version.counter, hash: c.version.hash }] : []));
    const removed = result.changes.filter((c) => !c.version).map((c) => ({ mesh: c.mesh, dataplane: c.dataplane }));
    if (saved.length || removed.length) {
      this.versionsSaved = this.versionsSaved
        .then(() => this.store.saveConfigVersions(saved, removed))
        .catch((err: unknown) => this.onError(`cannot save config versions: ${(err as Error).message}`));
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  list(filter: { type?: string; mesh?: string } = {}): StoredResource[] {
    const out: StoredResource[] = [];
    for (const r of this.stored.values()) {
      if (filter.type !== undefined && r.type !== filter.type) continue;
      if (filter.mesh !== undefined && r.mesh !== filter.mesh) continue;
      out.push(r);
    }
    return out.sort((a, b) => a.mesh.localeCompare(b.mesh) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  }

  get(key: ResourceKey): StoredResource | undefined {
    return this.stored.get(keyOf(key));
  }

  meshes(): StoredResource[] {
    return this.list({ type: 'Mesh' });
  }

  hasMesh(name: string): boolean {
    return this.stored.has(keyOf({ type: 'Mesh', mesh: '', name }));
  }

  /** The mesh, or MESHCAP_ERR_NOT_FOUND naming it. */
  requireMesh(name: string): StoredResource {
    const mesh = this.get({ type: 'Mesh', mesh: '', name });
    if (!mesh) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no mesh "${name}"`, [{ path: 'mesh', message: `mesh "${name}" does not exist` }]);
    return mesh;
  }

  dataplanes(mesh?: string): Array<StoredResource & { resource: Dataplane }> {
    return this.list({ type: 'Dataplane', mesh }) as Array<StoredResource & { resource: Dataplane }>;
  }

  /** The dataplane, or MESHCAP_ERR_NOT_FOUND naming what is missing. */
  requireDataplane(mesh: string, name: string): StoredResource & { resource: Dataplane } {
    this.requireMesh(mesh);
    const dp = this.get({ type: 'Dataplane', mesh, name });
    if (!dp) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no dataplane "${name}" in mesh "${mesh}"`, [{ path: 'name', message: 'no such dataplane' }]);
    return dp as StoredResource & { resource: Dataplane };
  }

  /** The targetRef policies of a mesh, by type then name. */
  policies(mesh: string): StoredResource[] {
    return this.list({ mesh }).filter((r) => resourceKind(r.type)?.policy === true);
  }

  /** The policy, or MESHCAP_ERR_NOT_FOUND. */
  requirePolicy(mesh: string, type: string, name: string): StoredResource {
    this.requireMesh(mesh);
    const policy = resourceKind(type)?.policy === true ? this.get({ type, mesh, name }) : undefined;
    if (!policy) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no ${type} "${name}" in mesh "${mesh}"`, [{ path: 'policy', message: 'no such policy' }]);
    return policy;
  }

  toggles(filter: { mesh?: string; dataplane?: string } = {}): Toggle[] {
    return [...this.toggleMap.values()].filter((t) => (filter.mesh === undefined || t.mesh === filter.mesh) && (filter.dataplane === undefined || t.dataplane === filter.dataplane));
  }

  // ---- writes ------------------------------------------------------------------------------

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writeQueue.then(fn, fn);
    this.writeQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * A write, serialised, checked against the store's latest state: another replica's write that
   * no notice has brought yet is loaded first, so a resource it created can be changed or deleted here.
   */
  private writing<T>(fn: () => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      // A store that cannot be read will refuse the write too, with the error the caller gets.
      await this.catchUp().catch((err: unknown) => this.onError(`cannot read the store: ${(err as Error).message}`));
      return fn();
    });
  }

  /** Loads other replicas' writes if the store's revision moved. */
  private async catchUp(): Promise<void> {
    if ((await this.store.revision()) !== this.knownRevision) await this.reload();
  }

  /** Parses YAML/JSON (one or many documents) and applies it all or nothing. */
  applyText(text: string, opts: { source?: string } = {}): Promise<ApplyResult> {
    const resources = parseResources(text, { source: opts.source });
    const sources = resourceSources(text);
    return this.apply(resources.map((resource, i) => ({ resource, source: sources[i]?.source ?? '', document: sources[i]?.document })));
  }

  /** Applies validated resources all or nothing: every check, the compile, then one store transaction. */
  apply(inputs: readonly ApplyInput[]): Promise<ApplyResult> {
    return this.writing(async () => {
      this.validateBatch(inputs);
      const resources = inputs.map(({ resource }) => forCompiler({ ...resource, ...keyFields(resource) }));
      const keys = resources.map(storeKey);
      // The services this batch brings get their VIPs first, so their first config already has them.
      const services = servicesOf(resources);
      if (services.length > 0) {
        try {
          this.compiler.setVips(await this.store.allocateVips(services));
        } catch (err) {
          throw storeFailure(err);
        }
      }
      this.compiler.applyAll(resources);
      let changes: ResourceChange[];
      try {
        await this.versionsSaved;
        changes = await this.store.writeResources({ put: resources.map((resource, i) => ({ resource, source: inputs[i]!.source })) });
      } catch (err) {
        this.restore(keys);
        throw storeFailure(err);
      }
      if (changes.some((c) => c.action !== 'unchanged')) await this.reload();
      return { changes };
    });
  }

  private validateBatch(inputs: readonly ApplyInput[]): void {
    const issues: ErrorIssue[] = [];
    const batchMeshes = new Set(inputs.filter((i) => i.resource.type === 'Mesh').map((i) => i.resource.name));
    const seen = new Map<string, number>();
    inputs.forEach(({ resource, document }, index) => {
      const key = storeKey(resource);
      const k = keyOf(key);
      const first = seen.get(k);
      if (first !== undefined) issues.push({ document, path: 'name', message: `${resource.type} "${resource.name}" appears twice in this input (also resource ${first + 1})` });
      seen.set(k, index);
      if (key.mesh && !this.hasMesh(key.mesh) && !batchMeshes.has(key.mesh)) {
        issues.push({ document, path: 'mesh', message: `mesh "${key.mesh}" does not exist; apply a Mesh named "${key.mesh}" first (or in the same input)` });
      }
    });
    const resources = inputs.map((i) => i.resource);
    // Routes send only to services the mesh (with this batch) provides.
    const servicesIn = new Map<string, Set<string>>();
    const servicesOfMesh = (mesh: string): Set<string> => {
      let s = servicesIn.get(mesh);
      if (!s) {
        const dps = [...this.list({ type: 'Dataplane', mesh }).map((r) => r.resource), ...resources.filter((r) => r.type === 'Dataplane' && r.mesh === mesh)] as Dataplane[];
        servicesIn.set(mesh, (s = new Set(meshServices(dps))));
      }
      return s;
    };
    inputs.forEach(({ resource, document }) => {
      if (resource.type === 'MeshHTTPRoute' || resource.type === 'MeshTCPRoute') issues.push(...unknownRouteBackends(resource, servicesOfMesh(resource.mesh ?? DEFAULT_MESH)).map((i) => ({ document, ...i })));
    });
    for (const validate of this.validators) {
      for (const { index, ...issue } of validate(resources, this)) issues.push({ document: inputs[index]?.document, ...issue });
    }
    if (issues.length) throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', issues.map(formatIssue).join('; '), issues);
  }

  /** Deletes one resource (and the toggles naming it). A mesh that still holds resources is refused. */
  delete(key: ResourceKey): Promise<ResourceChange> {
    return this.writing(async () => {
      if (!this.get(key)) throw new MeshcapError('MESHCAP_ERR_NOT_FOUND', `no ${key.type} "${key.name}"${key.mesh ? ` in mesh "${key.mesh}"` : ''}`);
      if (key.type === 'Mesh') {
        const inside = this.list({ mesh: key.name });
        if (inside.length) {
          const names = inside.slice(0, 5).map((r) => `${r.type} ${r.name}`).join(', ');
          throw new MeshcapError('MESHCAP_ERR_CONFLICT', `mesh "${key.name}" still holds ${inside.length} resource(s) (${names}${inside.length > 5 ? ', …' : ''}); delete them first`);
        }
      }
      const dropped = this.toggles({ mesh: key.mesh }).filter((t) => (key.type === 'Dataplane' ? t.dataplane === key.name : t.policyType === key.type && t.policyName === key.name));
      this.compiler.delete(key.type, key.mesh, key.name);
      let change: ResourceChange | undefined;
      try {
        await this.versionsSaved;
        [change] = await this.store.writeResources({ delete: [key] });
      } catch (err) {
        this.restore([key], dropped);
        throw storeFailure(err);
      }
      await this.reload();
      return change as ResourceChange;
    });
  }

  /** Turns one policy on or off for one dataplane; both must exist. */
  setToggle(input: { mesh: string; dataplane: string; policyType: string; policyName: string; enabled: boolean }): Promise<Toggle> {
    return this.writing(async () => {
      this.requireDataplane(input.mesh, input.dataplane);
      this.requirePolicy(input.mesh, input.policyType, input.policyName);
      const was = this.compiler.isEnabled(input.mesh, input.dataplane, input.policyType, input.policyName);
      this.compiler.setToggle(input.mesh, input.dataplane, input.policyType, input.policyName, input.enabled);
      let toggle: Toggle;
      try {
        await this.versionsSaved;
        toggle = await this.store.setToggle(input);
      } catch (err) {
        this.compiler.setToggle(input.mesh, input.dataplane, input.policyType, input.policyName, was);
        throw storeFailure(err);
      }
      await this.reload();
      return toggle;
    });
  }

  // ---- state -------------------------------------------------------------------------------

  /** Puts the compiler's view of `keys` (and `toggles`) back to what the records hold. */
  private restore(keys: readonly ResourceKey[], toggles: readonly Toggle[] = []): void {
    const present: Resource[] = [];
    for (const key of keys) {
      const record = this.get(key);
      if (record) present.push(forCompiler(record.resource));
      else if (this.compilerHas(key)) this.compiler.delete(key.type, key.mesh, key.name);
    }
    if (present.length) this.compiler.applyAll(present);
    for (const t of toggles) this.syncToggle(t);
  }

  private compilerHas(key: ResourceKey): boolean {
    if (key.type === 'Mesh') return this.compiler.getMesh(key.name) !== undefined;
    if (key.type === 'Dataplane') return this.compiler.getDataplane(key.mesh, key.name) !== undefined;
    return this.compiler.getPolicy(key.mesh, key.type, key.name) !== undefined;
  }

  private syncToggle(t: Toggle): void {
    applyToggle(this.compiler, t, this.onError);
  }

  /** Reads the stored records. */
  private async reloadRecords(): Promise<{ resources: StoredResource[]; toggles: Toggle[]; versions: ConfigVersionRecord[]; vips: ServiceVip[] }> {
    const revision = await this.store.revision();
    const [resources, toggles, versions, vips] = await Promise.all([this.store.listResources(), this.store.listToggles(), this.store.listConfigVersions(), this.store.listVips()]);
    this.stored = new Map(resources.map((r) => [keyOf(r), r]));
    this.toggleMap = new Map(toggles.map((t) => [toggleKey(t), t]));
    this.knownRevision = revision;
    return { resources, toggles, versions, vips };
  }

  /**
   * Loads the stored records, and what changed since the last load into the compiler: another
   * replica's writes; after our own, the compiler already has it and recompiles to the same content.
   */
  private async reload(): Promise<void> {
    const before = this.stored;
    const beforeToggles = this.toggleMap;
    const { resources, toggles, versions, vips } = await this.reloadRecords();
    // The counters the writer gave: compiling to the content it compiled gives the version it gave.
    this.compiler.adoptVersions(versions);
    // Another replica's VIPs (set before its resources, as it did): compiling gives the content it compiled.
    this.compiler.setVips(vips);
    const changed = resources.filter((r) => before.get(keyOf(r))?.version !== r.version);
    const removed = [...before.values()].filter((r) => !this.stored.has(keyOf(r)));
    if (changed.length) applyResources(this.compiler, changed.map((r) => forCompiler(r.resource)), (m) => this.onError(m));
    // Contents first, then the meshes that are gone.
    for (const r of removed.sort((a, b) => (a.type === 'Mesh' ? 1 : 0) - (b.type === 'Mesh' ? 1 : 0))) {
      if (this.compilerHas(r)) this.compiler.delete(r.type, r.mesh, r.name);
    }
    for (const t of toggles) if (beforeToggles.get(toggleKey(t))?.enabled !== t.enabled) this.syncToggle(t);
    for (const [k, t] of beforeToggles) if (!this.toggleMap.has(k) && !t.enabled) this.syncToggle({ ...t, enabled: true });
  }

  private async pollStore(): Promise<void> {
    if (this.pollQueued) return;
    this.pollQueued = true;
    try {
      await this.serialized(async () => {
        this.pollQueued = false;
        await this.catchUp();
      });
    } catch (err) {
      // The store is away (PostgreSQL restart): keep serving what we have, try again next tick.
      this.onError(`cannot read the store: ${(err as Error).message}`);
    }
  }
}

function storeFailure(err: unknown): MeshcapError {
  if (err instanceof MeshcapError) return err;
  if ((err as { code?: unknown }).code === 'SQLITE_FULL') return new MeshcapError('MESHCAP_ERR_STORE_FULL', `the store's disk is full, nothing was changed: ${(err as Error).message}`, [], { cause: err });
  if (isStoreUnreachable(err)) return new MeshcapError('MESHCAP_ERR_STORE_UNAVAILABLE', `the store is not reachable, nothing was changed (the control plane keeps serving and retries): ${(err as Error).message}`, [], { cause: err });
  return new MeshcapError('MESHCAP_ERR_STORE', `the store refused the change, nothing was changed: ${(err as Error).message}`, [], { cause: err });
}

/** The services (mesh and `kuma.io/service`) the Dataplanes among `resources` provide. */
function servicesOf(resources: readonly Resource[]): Array<{ mesh: string; service: string }> {
  const byMesh = new Map<string, Dataplane[]>();
  for (const r of resources) {
    if (r.type !== 'Dataplane') continue;
    const mesh = r.mesh ?? DEFAULT_MESH;
    byMesh.set(mesh, [...(byMesh.get(mesh) ?? []), r as Dataplane]);
  }
  return [...byMesh].flatMap(([mesh, dps]) => meshServices(dps).map((service) => ({ mesh, service })));
}

/** The store's timestamps are not config: left out so they never change a config version. */
function forCompiler(resource: Resource): Resource {
  const { creationTime: _c, modificationTime: _m, ...rest } = resource;
  return rest as Resource;
}

/** Stored resources carry their mesh explicitly (policies and Dataplanes default to `default`). */
function keyFields(resource: Resource): Partial<Resource> {
  const key = storeKey(resource);
  return key.mesh ? { mesh: key.mesh } : {};
}
