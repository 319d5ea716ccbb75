/** A row as the driver returns it: column name → value. */
export type Row = Record<string, unknown>;

/** Runs SQL written with `$1, $2…` placeholders (PostgreSQL style; the SQLite driver maps them). */
export interface SqlExecutor {
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** The little a store needs from a database: queries, transactions, and a lock for migrations. */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Inside a transaction: makes concurrent migrators (other replicas) wait for this one. */
  lockForMigration(tx: SqlExecutor): Promise<void>;
  /**
   * Inside a write transaction, first: makes writers in other replicas wait for this one, so a
   * read-then-insert (a resource's first version, the default mesh at first start) cannot race.
   */
  lockForWrite(tx: SqlExecutor): Promise<void>;
  /** Inside a write transaction, last: tells the other replicas, once it commits, that the store changed. */
  announceWrite(tx: SqlExecutor): Promise<void>;
  /**
   * Calls `onChange` soon after a write by any replica commits (PostgreSQL LISTEN/NOTIFY); SQLite,
   * one process, never calls it. Returns the unsubscribe function.
   */
  watch(onChange: () => void, onError: (err: Error) => void): () => void;
  close(): Promise<void>;
}
