import pg from 'pg';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

/** Any number the store's migrations lock on; the same in every replica. */
const MIGRATION_LOCK_KEY = 0x6d657368; // "mesh"

/** `postgres://user:***@host:port/db`: for logs and /healthz, never the password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.location = redactUrl(url);
    this.pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 10_000 });
    // An idle client's error (server restart) must not crash the control plane; the next query reconnects.
    this.pool.on('error', () => {});
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(sql, params as unknown[]);
    return result.rows as Row[];
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({ query: async (sql, params = []) => (await client.query(sql, params as unknown[])).rows as Row[] });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async lockForMigration(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
