import { freeVips, MeshcapError, type ConfigDumpRecord, type Resource, type ServiceVip } from '@meshcap/core';
import { isDeepStrictEqual } from 'node:util';
import { migrations } from './migrations.ts';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';
import type { ConfigVersionRecord, ControlPlaneReplica, DataplaneSession, MeshCaRecord, NewToken, ResourceBatch, ResourceChange, ResourceKey, Store, StoredResource, Toggle, TokenRecord } from './store.ts';

function now(): string {
  return new Date().toISOString();
}

/** Timestamps the store owns; they are not part of what a user changes. */
function withoutTimes(resource: Resource): Record<string, unknown> {
  const { creationTime: _c, modificationTime: _m, ...rest } = resource;
  return rest;
}

function toResource(row: Row): StoredResource {
  const createdAt = String(row.created_at);
  const modifiedAt = String(row.modified_at);
  const resource = { ...(JSON.parse(String(row.resource)) as Resource), creationTime: createdAt, modificationTime: modifiedAt };
  return {
    type: String(row.type),
    mesh: String(row.mesh),
    name: String(row.name),
    resource,
    source: String(row.source),
    version: Number(row.version),
    createdAt,
    modifiedAt,
  };
}

function toToggle(row: Row): Toggle {
  return {
    mesh: String(row.mesh),
    dataplane: String(row.dataplane),
    policyType: String(row.policy_type),
    policyName: String(row.policy_name),
    enabled: Number(row.enabled) === 1,
    modifiedAt: String(row.modified_at),
  };
}

function toToken(row: Row): TokenRecord {
  return {
    id: String(row.id),
    kind: row.kind === 'admin' ? 'admin' : 'dataplane',
    mesh: String(row.mesh),
    name: String(row.name),
    secretHash: String(row.secret_hash),
    createdAt: String(row.created_at),
    revokedAt: row.revoked_at === null || row.revoked_at === undefined ? null : String(row.revoked_at),
    expiresAt: row.expires_at === null || row.expires_at === undefined ? null : String(row.expires_at),
    tags: typeof row.tags === 'string' ? (JSON.parse(row.tags) as Record<string, string[]>) : null,
  };
}

function toVip(row: Row): ServiceVip {
  return { mesh: String(row.mesh), service: String(row.service), address: String(row.address) };
}

/** Store over SQL that both SQLite and PostgreSQL accept. */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly location: string;

  private constructor(private readonly db: SqlDriver) {
    this.kind = db.dialect;
    this.location = db.location;
  }

  /** Opens the store and brings its schema up to date. */
  static async open(db: SqlDriver): Promise<SqlStore> {
    const store = new SqlStore(db);
    try {
      await store.migrate();
    } catch (err) {
      await db.close().catch(() => undefined);
      throw new MeshcapError('MESHCAP_ERR_STORE', `cannot open the ${db.dialect} store at ${db.location}: ${(err as Error).message}`, [], { cause: err });
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Under the lock, so that replicas starting together do not race to create the table.
      await this.db.lockForMigration(tx);
      await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await tx.query('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        for (const sql of m.statements) await tx.query(sql);
        await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
      }
    });
  }

  /** Runs a write, serial with other replicas' writes, and bumps (and announces) the revision in the same transaction. */
  private write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await this.db.lockForWrite(tx);
      const result = await fn(tx);
      await tx.query('UPDATE store_revision SET revision = revision + 1 WHERE id = 1');
      await this.db.announceWrite(tx);
      return result;
    });
  }

  watch(onChange: () => void, onError: (err: Error) => void = () => {}): () => void {
    return this.db.watch(onChange, onError);
  }

  async listResources(filter: { type?: string; mesh?: string } = {}): Promise<StoredResource[]> {
    const cast = this.kind === 'postgres' ? '::text' : '';
    const rows = await this.db.query(
      `SELECT * FROM resources WHERE ($1${cast} IS NULL OR type = $1) AND ($2${cast} IS NULL OR mesh = $2) ORDER BY mesh, type, name`,
      [filter.type ?? null, filter.mesh ?? null],
    );
    return rows.map(toResource);
  }

  async getResource(key: ResourceKey): Promise<StoredResource | undefined> {
    const [row] = await this.db.query('SELECT * FROM resources WHERE type = $1 AND mesh = $2 AND name = $3', [key.type, key.mesh, key.name]);
    return row ? toResource(row) : undefined;
  }

  writeResources(batch: ResourceBatch): Promise<ResourceChange[]> {
    return this.write(async (tx) => {
      const changes: ResourceChange[] = [];
      const at = now();
      for (const { resource, source } of batch.put ?? []) {
        const key = { type: resource.type, mesh: resource.mesh ?? '', name: resource.name };
        const [existing] = await tx.query('SELECT resource, version FROM resources WHERE type = $1 AND mesh = $2 AND name = $3', [key.type, key.mesh, key.name]);
        const json = JSON.stringify(withoutTimes(resource));
        if (!existing) {
          await tx.query(
            'INSERT INTO resources (type, mesh, name, resource, source, version, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)',
            [key.type, key.mesh, key.name, json, source, at],
          );
          changes.push({ ...key, action: 'created', version: 1 });
          continue;
        }
        const version = Number(existing.version);
        if (isDeepStrictEqual(JSON.parse(String(existing.resource)), withoutTimes(resource))) {
          changes.push({ ...key, action: 'unchanged', version });
          continue;
        }
        await tx.query('UPDATE resources SET resource = $4, source = $5, version = $6, modified_at = $7 WHERE type = $1 AND mesh = $2 AND name = $3', [
          key.type,
          key.mesh,
          key.name,
          json,
          source,
          version + 1,
          at,
        ]);
        changes.push({ ...key, action: 'updated', version: version + 1 });
      }
      for (const key of batch.delete ?? []) {
        const [existing] = await tx.query('SELECT version FROM resources WHERE type = $1 AND mesh = $2 AND name = $3', [key.type, key.mesh, key.name]);
        if (!existing) {
          changes.push({ ...key, action: 'absent', version: 0 });
          continue;
        }
        await tx.query('DELETE FROM resources WHERE type = $1 AND mesh = $2 AND name = $3', [key.type, key.mesh, key.name]);
        // Toggles naming what is gone would come back to life with a new resource of the same name.
        if (key.type === 'Dataplane') await tx.query('DELETE FROM toggles WHERE mesh = $1 AND dataplane = $2', [key.mesh, key.name]);
        else await tx.query('DELETE FROM toggles WHERE mesh = $1 AND policy_type = $2 AND policy_name = $3', [key.mesh, key.type, key.name]);
        changes.push({ ...key, action: 'deleted', version: Number(existing.version) });
      }
      return changes;
    });
  }

  async listToggles(filter: { mesh?: string; dataplane?: string } = {}): Promise<Toggle[]> {
    const cast = this.kind === 'postgres' ? '::text' : '';
    const rows = await this.db.query(
      `SELECT * FROM toggles WHERE ($1${cast} IS NULL OR mesh = $1) AND ($2${cast} IS NULL OR dataplane = $2) ORDER BY mesh, dataplane, policy_type, policy_name`,
      [filter.mesh ?? null, filter.dataplane ?? null],
    );
    return rows.map(toToggle);
  }

  setToggle(toggle: Omit<Toggle, 'modifiedAt'>): Promise<Toggle> {
    return this.write(async (tx) => {
      const modifiedAt = now();
      await tx.query(
        `INSERT INTO toggles (mesh, dataplane, policy_type, policy_name, enabled, modified_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (mesh, dataplane, policy_type, policy_name) DO UPDATE SET enabled = excluded.enabled, modified_at = excluded.modified_at`,
        [toggle.mesh, toggle.dataplane, toggle.policyType, toggle.policyName, toggle.enabled ? 1 : 0, modifiedAt],
      );
      return { ...toggle, modifiedAt };
    });
  }

  createToken(token: NewToken): Promise<TokenRecord> {
    return this.write(async (tx) => {
      const createdAt = now();
      const expiresAt = token.expiresAt ?? null;
      const tags = token.tags ?? null;
      await tx.query('INSERT INTO tokens (id, kind, mesh, name, secret_hash, created_at, expires_at, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        token.id,
        token.kind,
        token.mesh,
        token.name,
        token.secretHash,
        createdAt,
        expiresAt,
        tags === null ? null : JSON.stringify(tags),
      ]);
      return { ...token, createdAt, revokedAt: null, expiresAt, tags };
    });
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM tokens WHERE id = $1', [id]);
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.db.query('SELECT * FROM tokens ORDER BY created_at, id')).map(toToken);
  }

  revokeToken(id: string): Promise<boolean> {
    return this.write(async (tx) => {
      const [row] = await tx.query('SELECT revoked_at FROM tokens WHERE id = $1', [id]);
      if (!row || row.revoked_at) return false;
      await tx.query('UPDATE tokens SET revoked_at = $2 WHERE id = $1', [id, now()]);
      return true;
    });
  }

  async listConfigVersions(): Promise<ConfigVersionRecord[]> {
    const rows = await this.db.query('SELECT * FROM config_versions ORDER BY mesh, dataplane');
    return rows.map((r) => ({ mesh: String(r.mesh), dataplane: String(r.dataplane), counter: Number(r.counter), hash: String(r.hash) }));
  }

  saveConfigVersions(versions: readonly ConfigVersionRecord[], removed: ReadonlyArray<{ mesh: string; dataplane: string }> = []): Promise<void> {
    return this.db.transaction(async (tx) => {
      for (const v of versions) {
        await tx.query(
          `INSERT INTO config_versions (mesh, dataplane, counter, hash) VALUES ($1, $2, $3, $4)
           ON CONFLICT (mesh, dataplane) DO UPDATE SET counter = excluded.counter, hash = excluded.hash
           WHERE config_versions.counter <= excluded.counter`,
          [v.mesh, v.dataplane, v.counter, v.hash],
        );
      }
      for (const r of removed) await tx.query('DELETE FROM config_versions WHERE mesh = $1 AND dataplane = $2', [r.mesh, r.dataplane]);
    });
  }

  async listVips(): Promise<ServiceVip[]> {
    return (await this.db.query('SELECT mesh, service, address FROM vips ORDER BY mesh, service')).map(toVip);
  }

  async allocateVips(services: ReadonlyArray<{ mesh: string; service: string }>): Promise<ServiceVip[]> {
    const missing = (have: readonly ServiceVip[]): Array<{ mesh: string; service: string }> => {
      const known = new Set(have.map((v) => `${v.mesh}\u0000${v.service}`));
      const out = new Map<string, { mesh: string; service: string }>();
      for (const s of services) if (!known.has(`${s.mesh}\u0000${s.service}`)) out.set(`${s.mesh}\u0000${s.service}`, s);
      return [...out.values()];
    };
    const current = await this.listVips();
    if (missing(current).length === 0) return current;
    return this.write(async (tx) => {
      // Again under the write lock: another replica may have given some of them a VIP meanwhile.
      const have = (await tx.query('SELECT mesh, service, address FROM vips')).map(toVip);
      const wanted = missing(have);
      const addresses = freeVips(have.map((v) => v.address), wanted.length);
      const at = now();
      for (const [i, s] of wanted.entries()) {
        await tx.query('INSERT INTO vips (mesh, service, address, created_at) VALUES ($1, $2, $3, $4)', [s.mesh, s.service, addresses[i], at]);
      }
      const all = [...have, ...wanted.map((s, i) => ({ ...s, address: addresses[i]! }))];
      return all.sort((a, b) => (a.mesh === b.mesh ? (a.service < b.service ? -1 : 1) : a.mesh < b.mesh ? -1 : 1));
    });
  }

  async getMeshCa(mesh: string, backend: string): Promise<MeshCaRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM mesh_cas WHERE mesh = $1 AND backend = $2', [mesh, backend]);
    return row ? { mesh: String(row.mesh), backend: String(row.backend), certPem: String(row.cert_pem), keyPem: String(row.key_pem), createdAt: String(row.created_at) } : undefined;
  }

  async putMeshCaIfAbsent(ca: Omit<MeshCaRecord, 'createdAt'>): Promise<MeshCaRecord> {
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO mesh_cas (mesh, backend, cert_pem, key_pem, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (mesh, backend) DO NOTHING', [ca.mesh, ca.backend, ca.certPem, ca.keyPem, now()]);
    });
    return (await this.getMeshCa(ca.mesh, ca.backend))!;
  }

  async listDataplaneSessions(): Promise<DataplaneSession[]> {
    return (await this.db.query('SELECT * FROM dataplane_sessions ORDER BY mesh, name')).map((row) => ({
      mesh: String(row.mesh),
      name: String(row.name),
      replica: String(row.replica),
      replicaUrl: String(row.replica_url),
      connectedAt: row.connected_at === null || row.connected_at === undefined ? null : String(row.connected_at),
      configVersion: row.config_version === null || row.config_version === undefined ? null : String(row.config_version),
      seenAt: String(row.seen_at),
    }));
  }

  syncDataplaneSessions(replica: { id: string; url: string }, held: ReadonlyArray<{ mesh: string; name: string; connectedAt: string | null; configVersion: string | null }>): Promise<void> {
    return this.db.transaction(async (tx) => {
      const at = now();
      for (const h of held) {
        await tx.query(
          `INSERT INTO dataplane_sessions (mesh, name, replica, replica_url, connected_at, config_version, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (mesh, name) DO UPDATE SET replica = excluded.replica, replica_url = excluded.replica_url, connected_at = excluded.connected_at,
             config_version = excluded.config_version, seen_at = excluded.seen_at`,
          [h.mesh, h.name, replica.id, replica.url, h.connectedAt, h.configVersion, at],
        );
      }
      const keep = new Set(held.map((h) => `${h.mesh}/${h.name}`));
      for (const row of await tx.query('SELECT mesh, name FROM dataplane_sessions WHERE replica = $1', [replica.id])) {
        if (!keep.has(`${String(row.mesh)}/${String(row.name)}`)) await tx.query('DELETE FROM dataplane_sessions WHERE mesh = $1 AND name = $2 AND replica = $3', [row.mesh, row.name, replica.id]);
      }
      await tx.query('INSERT INTO control_plane_replicas (id, url, seen_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET url = excluded.url, seen_at = excluded.seen_at', [replica.id, replica.url, at]);
    });
  }

  async listControlPlaneReplicas(): Promise<ControlPlaneReplica[]> {
    // Replicas that died without leaving (killed) stop confirming: their rows are dropped a day later.
    await this.db.query('DELETE FROM control_plane_replicas WHERE seen_at < $1', [new Date(Date.now() - 86_400_000).toISOString()]);
    return (await this.db.query('SELECT * FROM control_plane_replicas ORDER BY id')).map((row) => ({ id: String(row.id), url: String(row.url), seenAt: String(row.seen_at) }));
  }

  leaveControlPlaneReplicas(replicaId: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM dataplane_sessions WHERE replica = $1', [replicaId]);
      await tx.query('DELETE FROM control_plane_replicas WHERE id = $1', [replicaId]);
    });
  }

  saveConfigDump(mesh: string, dataplane: string, record: ConfigDumpRecord, keep: number): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO config_dumps (mesh, dataplane, version, recorded_at, dump) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (mesh, dataplane, version) DO NOTHING', [
        mesh,
        dataplane,
        record.version,
        record.recordedAt,
        JSON.stringify(record.dump),
      ]);
      const rows = await tx.query('SELECT version FROM config_dumps WHERE mesh = $1 AND dataplane = $2 ORDER BY recorded_at DESC', [mesh, dataplane]);
      for (const row of rows.slice(keep)) await tx.query('DELETE FROM config_dumps WHERE mesh = $1 AND dataplane = $2 AND version = $3', [mesh, dataplane, row.version]);
    });
  }

  async listConfigDumps(since: string): Promise<Array<{ mesh: string; dataplane: string; record: ConfigDumpRecord }>> {
    const rows = await this.db.query('SELECT * FROM config_dumps WHERE recorded_at >= $1 ORDER BY recorded_at', [since]);
    return rows.map((row) => ({
      mesh: String(row.mesh),
      dataplane: String(row.dataplane),
      record: { version: String(row.version), recordedAt: String(row.recorded_at), dump: JSON.parse(String(row.dump)) as ConfigDumpRecord['dump'] },
    }));
  }

  async forgetConfigDumps(mesh: string, dataplane: string): Promise<void> {
    await this.db.query('DELETE FROM config_dumps WHERE mesh = $1 AND dataplane = $2', [mesh, dataplane]);
  }

  async revision(): Promise<number> {
    const [row] = await this.db.query('SELECT revision FROM store_revision WHERE id = 1');
    return Number(row?.revision ?? 0);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
