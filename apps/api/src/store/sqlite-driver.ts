import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

/**
 * better-sqlite3 is synchronous; the store's API is async. Every operation runs through one queue
 * so that an async transaction never interleaves with other statements on the same connection.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly location: string) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  private run(sql: string, params: readonly unknown[]): Row[] {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      // `$1` → `@p1`: bound by name, so one value can appear several times.
      stmt = this.db.prepare(sql.replace(/\$(\d+)/g, '@p$1'));
      this.statements.set(sql, stmt);
    }
    const named: Record<string, unknown> = {};
    params.forEach((p, i) => (named[`p${i + 1}`] = typeof p === 'boolean' ? Number(p) : p));
    const args = params.length ? [named] : [];
    return stmt.reader ? (stmt.all(...args) as Row[]) : (stmt.run(...args), []);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.enqueue(async () => this.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn({ query: async (sql, params = []) => this.run(sql, params) });
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        // SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR): a second ROLLBACK would
        // throw "no transaction is active" and hide the error that says what happened.
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async lockForWrite(): Promise<void> {
    // BEGIN IMMEDIATE already holds the write lock.
  }

  async announceWrite(): Promise<void> {
    // One process owns the file: there is nobody to tell.
  }

  watch(): () => void {
    return () => {};
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds the write lock.
  }

  async close(): Promise<void> {
    await this.enqueue(async () => this.db.close());
  }
}
