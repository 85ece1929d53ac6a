import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import Database from 'better-sqlite3';
import { CachedStatementsBetterSqlite3 } from './better-sqlite3-client';
import { SingleConnectionPool } from './single-connection-pool';

/** What a transaction body gets: a knex handle on the connection the transaction holds. */
export type Transaction = Knex.Transaction;
export type Db = Knex;

/**
 * One module's own database. Each module gets a separate knex handle (its own SQLite file by
 * default), so no module can even see another's tables. All SQL goes through knex so a second
 * dialect (PostgreSQL, a schema per module) can be added without touching module code.
 */
export class ModuleDatabase {
  private readonly commitListeners: Array<() => void> = [];
  private readonly publishedCommitListeners: Array<() => void> = [];
  private publishedSinceCommit = false;
  /** Callbacks of the transaction in progress, run once it has ended (committed or not). */
  private endCallbacks: Array<() => void> | null = null;

  private constructor(
    readonly moduleName: string,
    readonly knex: Knex,
    private readonly pool: SingleConnectionPool<Database.Database>,
    /** A knex handle on the same connection that takes no lock: used only by the transaction holding it. */
    private readonly inTransaction: Knex,
    private readonly state: { holding: boolean },
  ) {}

  static open(moduleName: string, dataDir: string): ModuleDatabase {
    const inMemory = dataDir === ':memory:';
    if (!inMemory) fs.mkdirSync(dataDir, { recursive: true });
    const filename = inMemory ? ':memory:' : path.join(dataDir, `${moduleName}.db`);
    const pool = new SingleConnectionPool<Database.Database>(
      () => {
        const conn = new Database(filename);
        if (!inMemory) conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        return conn;
      },
      (conn) => conn.close(),
      30_000,
    );
    // SQLite has one writer: one connection per database, so transactions queue for it.
    const knex = knexFactory({
      client: CachedStatementsBetterSqlite3 as unknown as typeof knexFactory.Client,
      connectionPool: pool,
      useNullAsDefault: true,
    } as Knex.Config);
    const state = { holding: false };
    const inTransaction = knexFactory({
      client: CachedStatementsBetterSqlite3 as unknown as typeof knexFactory.Client,
      connectionPool: pool.holderView(() => state.holding),
      useNullAsDefault: true,
    } as Knex.Config);
    return new ModuleDatabase(moduleName, knex, pool, inTransaction, state);
  }

  /**
   * Runs `work` in a transaction. Everything inside must use `trx`, never the root handle:
   * the single pooled connection is held by the transaction, so a root query would wait forever.
   * Listeners (the outbox relay) are told after commit.
   */
  async transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    // BEGIN/COMMIT straight on the one connection: knex.transaction's bookkeeping cost ≈ 110 µs
    // per transaction, more than most of the statements inside it.
    const connection = await this.pool.acquire().promise;
    const callbacks: Array<() => void> = [];
    let result: T;
    try {
      this.endCallbacks = callbacks;
      control(connection).begin.run();
      this.state.holding = true;
      try {
        result = await work(this.inTransaction as unknown as Transaction);
        control(connection).commit.run();
      } catch (err) {
        if (connection.inTransaction) control(connection).rollback.run();
        throw err;
      }
    } finally {
      this.state.holding = false;
      this.endCallbacks = null;
      this.pool.release(connection);
      for (const callback of callbacks) callback();
    }
    for (const listener of this.commitListeners) listener();
    if (this.publishedSinceCommit) {
      this.publishedSinceCommit = false;
      for (const listener of this.publishedCommitListeners) listener();
    }
    return result;
  }

  /** Runs `callback` once the transaction in progress has ended, committed or rolled back. */
  afterTransaction(callback: () => void): void {
    if (!this.endCallbacks) throw new Error('afterTransaction called outside a transaction');
    this.endCallbacks.push(callback);
  }

  /** Called by the outbox: the transaction in progress wrote events, so the relay has work after commit. */
  markPublished(): void {
    this.publishedSinceCommit = true;
  }

  /** Runs after every committed transaction. */
  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Runs after a commit of a transaction that published events (the relay's cue). */
  onPublishedCommit(listener: () => void): void {
    this.publishedCommitListeners.push(listener);
  }

  async migrate(directories: Array<{ directory: string; tableName: string }>): Promise<void> {
    const extension = __filename.endsWith('.ts') ? '.ts' : '.js';
    for (const { directory, tableName } of directories) {
      if (!fs.existsSync(directory)) continue;
      await this.knex.migrate.latest({ directory, tableName, loadExtensions: [extension] });
    }
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  async close(): Promise<void> {
    await this.inTransaction.destroy();
    await this.knex.destroy();
  }
}

const controlStatements = new WeakMap<Database.Database, { begin: Database.Statement; commit: Database.Statement; rollback: Database.Statement }>();

/** BEGIN, COMMIT and ROLLBACK, prepared once per connection. */
function control(connection: Database.Database) {
  let statements = controlStatements.get(connection);
  if (!statements) {
    statements = { begin: connection.prepare('BEGIN'), commit: connection.prepare('COMMIT'), rollback: connection.prepare('ROLLBACK') };
    controlStatements.set(connection, statements);
  }
  return statements;
}

/** `migrations/` at the repository top, from the source tree (tsx) or from `dist/`. */
export function migrationsRoot(): string {
  return path.resolve(__dirname, '../../../migrations');
}
