/**
 * Schema migrations, applied in order, each once (recorded in `schema_migrations`). The SQL is
 * the common subset of SQLite and PostgreSQL: TEXT timestamps (ISO 8601), INTEGER booleans,
 * JSON as TEXT. Never edit a shipped migration; add the next one.
 */
export const migrations: ReadonlyArray<{ version: number; name: string; statements: string[] }> = [
  {
    version: 1,
    name: 'resources, toggles, tokens',
    statements: [
      `CREATE TABLE resources (
        type TEXT NOT NULL,
        mesh TEXT NOT NULL,
        name TEXT NOT NULL,
        resource TEXT NOT NULL,
        source TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        PRIMARY KEY (type, mesh, name)
      )`,
      `CREATE INDEX resources_by_mesh ON resources (mesh, type)`,
      `CREATE TABLE toggles (
        mesh TEXT NOT NULL,
        dataplane TEXT NOT NULL,
        policy_type TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        modified_at TEXT NOT NULL,
        PRIMARY KEY (mesh, dataplane, policy_type, policy_name)
      )`,
      `CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        mesh TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      `CREATE TABLE store_revision (id INTEGER PRIMARY KEY, revision INTEGER NOT NULL)`,
      `INSERT INTO store_revision (id, revision) VALUES (1, 0)`,
    ],
  },
  {
    version: 2,
    name: 'config version counters per dataplane',
    statements: [
      `CREATE TABLE config_versions (
        mesh TEXT NOT NULL,
        dataplane TEXT NOT NULL,
        counter INTEGER NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (mesh, dataplane)
      )`,
    ],
  },
  {
    version: 3,
    name: 'virtual IPs of services',
    statements: [
      `CREATE TABLE vips (
        mesh TEXT NOT NULL,
        service TEXT NOT NULL,
        address TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (mesh, service)
      )`,
    ],
  },
  {
    version: 4,
    name: 'mesh certificate authorities (builtin mTLS backends)',
    statements: [
      `CREATE TABLE mesh_cas (
        mesh TEXT NOT NULL,
        backend TEXT NOT NULL,
        cert_pem TEXT NOT NULL,
        key_pem TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (mesh, backend)
      )`,
    ],
  },
  {
    version: 5,
    name: 'token expiry and the tags a dataplane token allows',
    statements: [`ALTER TABLE tokens ADD COLUMN expires_at TEXT`, `ALTER TABLE tokens ADD COLUMN tags TEXT`],
  },
  {
    version: 6,
    name: 'dataplane sessions: which control plane replica holds each connected dataplane',
    statements: [
      `CREATE TABLE dataplane_sessions (
        mesh TEXT NOT NULL,
        name TEXT NOT NULL,
        replica TEXT NOT NULL,
        replica_url TEXT NOT NULL,
        connected_at TEXT,
        config_version TEXT,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (mesh, name)
      )`,
    ],
  },
  {
    version: 7,
    name: 'config dump history, shared by control plane replicas',
    statements: [
      `CREATE TABLE config_dumps (
        mesh TEXT NOT NULL,
        dataplane TEXT NOT NULL,
        version TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        dump TEXT NOT NULL,
        PRIMARY KEY (mesh, dataplane, version)
      )`,
    ],
  },
  {
    version: 8,
    name: 'control plane replicas alive, whether or not they hold a dataplane (they may hold its flows)',
    statements: [
      `CREATE TABLE control_plane_replicas (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        seen_at TEXT NOT NULL
      )`,
    ],
  },
];
