import type { ConfigDumpRecord, Resource, ServiceVip } from '@meshcap/core';

/**
 * What the control plane persists, behind one interface with two backends: embedded SQLite (a
 * file in the data directory) and PostgreSQL (shared by several control plane replicas).
 * Flows are not here: they live in memory (see flows/).
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data is: a file path, or the URL without its password. */
  readonly location: string;

  listResources(filter?: { type?: string; mesh?: string }): Promise<StoredResource[]>;
  getResource(key: ResourceKey): Promise<StoredResource | undefined>;
  /**
   * Applies every put and delete in one transaction: all or nothing. Deleting a Dataplane or a
   * policy also deletes the toggles that name it. Returns one change per input, in input order.
   */
  writeResources(batch: ResourceBatch): Promise<ResourceChange[]>;

  listToggles(filter?: { mesh?: string; dataplane?: string }): Promise<Toggle[]>;
  setToggle(toggle: Omit<Toggle, 'modifiedAt'>): Promise<Toggle>;

  createToken(token: NewToken): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;

  /** Config version counters per dataplane, so versions keep growing across restarts. */
  listConfigVersions(): Promise<ConfigVersionRecord[]>;
  /**
   * Upserts the given counters — never lowering one: replicas save the same counters, possibly out
   * of order — and removes those of dataplanes in `removed` (not part of the revision: derived data).
   */
  saveConfigVersions(versions: readonly ConfigVersionRecord[], removed?: ReadonlyArray<{ mesh: string; dataplane: string }>): Promise<void>;

  /** Every service's virtual IP (240.0.0.0/4), by mesh then service. */
  listVips(): Promise<ServiceVip[]>;
  /**
   * Gives each service that has none yet a VIP — the lowest free one, unique across meshes — in one
   * write (serial with other replicas' writes); a VIP once given is never changed, so it survives
   * restarts and the service coming and going. Writes nothing when every service has one. Returns
   * the whole list, as `listVips`.
   */
  allocateVips(services: ReadonlyArray<{ mesh: string; service: string }>): Promise<ServiceVip[]>;
  /**
   * A mesh's builtin CA (certificate and private key). The key is read only by the control plane's
   * CA to sign dataplane certificates: no route returns it and nothing logs it.
   */
  getMeshCa(mesh: string, backend: string): Promise<MeshCaRecord | undefined>;
  /** Stores a new CA unless one exists for (mesh, backend); returns the one in force (replicas racing agree on the first). */
  putMeshCaIfAbsent(ca: Omit<MeshCaRecord, 'createdAt'>): Promise<MeshCaRecord>;

  /**
   * The dataplanes each control plane replica holds (connected to it), shared so that any
   * replica's API answers for every dataplane. Not a resource write: no revision, no notice.
   */
  listDataplaneSessions(): Promise<DataplaneSession[]>;
  /**
   * Records that `replica` holds exactly `held` now (seen now): takes over rows of other replicas
   * for these dataplanes (a failover), and drops this replica's rows for the others.
   */
  syncDataplaneSessions(replica: { id: string; url: string }, held: ReadonlyArray<{ mesh: string; name: string; connectedAt: string | null; configVersion: string | null }>): Promise<void>;
  /** The replicas and when each last synced its sessions (it did so even holding none); rows unseen for a day are dropped. */
  listControlPlaneReplicas(): Promise<ControlPlaneReplica[]>;
  /** A replica that stops: its sessions and its own row go at once, so the others stop asking it. */
  leaveControlPlaneReplicas(replicaId: string): Promise<void>;

  /**
   * Config dump history: the first replica to record a version of a dataplane stores it (others'
   * copies of that version are ignored); only the newest `keep` per dataplane stay.
   */
  saveConfigDump(mesh: string, dataplane: string, record: ConfigDumpRecord, keep: number): Promise<void>;
  /** Records stored at or after `since` (ISO 8601), oldest first. */
  listConfigDumps(since: string): Promise<Array<{ mesh: string; dataplane: string; record: ConfigDumpRecord }>>;
  /** A deleted dataplane's history. */
  forgetConfigDumps(mesh: string, dataplane: string): Promise<void>;

  /** A counter bumped by every write: replicas sharing a PostgreSQL store compare it to notice each other's changes. */
  revision(): Promise<number>;
  /**
   * Calls `onChange` soon (milliseconds) after any replica's write commits: PostgreSQL
   * LISTEN/NOTIFY. A hint only — read `revision()`; SQLite never calls it. `onError` hears that the
   * listening connection dropped (it is reopened; poll meanwhile). Returns the unsubscribe function.
   */
  watch(onChange: () => void, onError?: (err: Error) => void): () => void;
  close(): Promise<void>;
}

export interface DataplaneSession {
  mesh: string;
  name: string;
  /** The replica's id (random per control plane process) and the URL its API answers on. */
  replica: string;
  replicaUrl: string;
  connectedAt: string | null;
  /** The config version the dataplane ACKed last to that replica. */
  configVersion: string | null;
  /** When that replica last confirmed it (a replica that died stops confirming). */
  seenAt: string;
}

export interface ControlPlaneReplica {
  /** Random per control plane process (see replica-presence.ts). */
  id: string;
  /** Where its API answers. */
  url: string;
  seenAt: string;
}

export interface MeshCaRecord {
  mesh: string;
  backend: string;
  certPem: string;
  keyPem: string;
  createdAt: string;
}

/** `mesh` is '' for global kinds (Mesh). */
export interface ResourceKey {
  type: string;
  mesh: string;
  name: string;
}

export interface StoredResource extends ResourceKey {
  /** The validated resource, as JSON. */
  resource: Resource;
  /** The source the user sent (YAML or JSON text of this one resource), for display and round-trips. */
  source: string;
  /** 1 on create, +1 on every change. */
  version: number;
  createdAt: string;
  modifiedAt: string;
}

export interface ResourceBatch {
  put?: Array<{ resource: Resource; source: string }>;
  delete?: ResourceKey[];
}

export interface ResourceChange extends ResourceKey {
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';
  version: number;
}

/** A policy turned on or off for one dataplane. No row means enabled. */
export interface Toggle {
  mesh: string;
  dataplane: string;
  policyType: string;
  policyName: string;
  enabled: boolean;
  modifiedAt: string;
}

export interface ConfigVersionRecord {
  mesh: string;
  dataplane: string;
  counter: number;
  hash: string;
}

/** A dataplane token (`mcdp_<id>_<secret>`) or an admin token; only the secret's SHA-256 is stored. */
export interface TokenRecord {
  id: string;
  kind: 'dataplane' | 'admin';
  mesh: string;
  name: string;
  secretHash: string;
  createdAt: string;
  revokedAt: string | null;
  /** ISO time after which the token is refused; null: never (tokens stored before expiry existed). */
  expiresAt: string | null;
  /** Dataplane tokens: the tag values its dataplane may claim, per tag (Kuma's token `tags`); null: any. */
  tags: Record<string, string[]> | null;
}

export type NewToken = Omit<TokenRecord, 'createdAt' | 'revokedAt' | 'expiresAt' | 'tags'> & Partial<Pick<TokenRecord, 'expiresAt' | 'tags'>>;

/** The key a resource is stored under. */
export function resourceKey(resource: Resource, meshScoped: boolean): ResourceKey {
  return { type: resource.type, mesh: meshScoped ? (resource.mesh ?? 'default') : '', name: resource.name };
}
