import pg from 'pg';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

/** Any number the store's migrations lock on; the same in every replica. */
const MIGRATION_LOCK_KEY = 0x6d657368; // "mesh"
/** The lock every write transaction takes, so replicas' writes are serial (writes are rare: applies, toggles, tokens). */
const WRITE_LOCK_KEY = 0x6d657369;
/** The NOTIFY channel a write announces itself on. */
export const CHANGE_CHANNEL = 'meshcap_store_changed';
/** Wait before listening again after the listening connection dropped (the poll covers the gap). */
const RELISTEN_MS = 1_000;

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
  private readonly url: string;
  private readonly watchers = new Set<{ onChange: () => void; onError: (err: Error) => void }>();
  private listener: pg.Client | undefined;
  private relisten: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(url: string) {
    this.url = url;
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
    // A checked-out client has no pool listener: a server shutdown mid-transaction would be an
    // unhandled 'error' event (a crash) instead of the failed query it also causes.
    const ignore = (): void => {};
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      const result = await fn({ query: async (sql, params = []) => (await client.query(sql, params as unknown[])).rows as Row[] });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', ignore);
      client.release();
    }
  }

  async lockForMigration(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  }

  async lockForWrite(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
  }

  async announceWrite(tx: SqlExecutor): Promise<void> {
    // Delivered to every listener when (and only if) the transaction commits.
    await tx.query(`SELECT pg_notify('${CHANGE_CHANNEL}', revision::text) FROM store_revision WHERE id = 1`);
  }

  watch(onChange: () => void, onError: (err: Error) => void): () => void {
    const watcher = { onChange, onError };
    this.watchers.add(watcher);
    if (!this.listener && !this.relisten) void this.listen();
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) this.stopListening();
    };
  }

  /** One connection outside the pool holds the LISTEN; when it drops, it is opened again. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    this.listener = client;
    const dropped = (err: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      for (const w of this.watchers) w.onError(err);
      if (!this.closed && this.watchers.size) {
        this.relisten = setTimeout(() => {
          this.relisten = undefined;
          void this.listen();
        }, RELISTEN_MS);
        this.relisten.unref();
      }
    };
    client.on('error', dropped);
    client.on('end', () => dropped(new Error('the LISTEN connection closed')));
    client.on('notification', (n) => {
      if (n.channel === CHANGE_CHANNEL) for (const w of this.watchers) w.onChange();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      // Writes made while we were not listening: let the watchers look once.
      for (const w of this.watchers) w.onChange();
    } catch (err) {
      dropped(err as Error);
    }
  }

  private stopListening(): void {
    clearTimeout(this.relisten);
    this.relisten = undefined;
    const client = this.listener;
    this.listener = undefined;
    client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    await this.pool.end();
  }
}

// Connection-level failures: the server is down, restarting or unreachable (node-postgres and
// libc codes, and PostgreSQL's class 08 "connection exception" and 57P0x "operator intervention").
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** True when `err` says the store's server cannot be reached (as opposed to a query it refused). */
export function isStoreUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/.test(e.message);
}
