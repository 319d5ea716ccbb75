import { MeshcapError } from '@meshcap/core';
import { join } from 'node:path';
import { PostgresDriver } from './postgres-driver.ts';
import { SqlStore } from './sql-store.ts';
import { SqliteDriver } from './sqlite-driver.ts';
import type { Store } from './store.ts';

export interface StoreLocation {
  /** `postgres://…` / `postgresql://…`, `sqlite:PATH` or a file path, or undefined for SQLite in the data directory. */
  url?: string;
  /** Where the SQLite file lives when no URL is given. */
  dataDir: string;
}

/** The SQLite file in a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'meshcap.db');
}

/** Which backend a `--store` value names; MESHCAP_ERR_INVALID_ARGUMENT for anything else. */
export function storeTarget(location: StoreLocation): { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string } {
  const url = location.url;
  if (url === undefined || url === '') return { kind: 'sqlite', file: sqliteFile(location.dataDir) };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: url.slice('sqlite:'.length) || sqliteFile(location.dataDir) };
  // A plain path is a SQLite file.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return { kind: 'sqlite', file: url };
  throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--store: "${url}" is not a store URL (use postgres://user:password@host:5432/db, or a SQLite file: sqlite:/path/to/meshcap.db or /path/to/meshcap.db)`, [
    { path: 'store', message: 'expected postgres:// or sqlite:' },
  ]);
}

/** Opens (and migrates) the store: PostgreSQL for a postgres:// URL, otherwise embedded SQLite. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const target = storeTarget(location);
  return SqlStore.open(target.kind === 'postgres' ? new PostgresDriver(target.url) : new SqliteDriver(target.file));
}
