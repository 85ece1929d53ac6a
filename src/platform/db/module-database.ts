import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { CachedStatementsBetterSqlite3, runCached } from './better-sqlite3-client';
import { type ParamFn, PreparedStatement, PreparedStatements, type StatementRunner } from './prepared-statement';
import { SingleConnectionPool } from './single-connection-pool';

/** What a transaction body gets: a knex handle on the connection the transaction holds. */
export type Transaction = Knex.Transaction;
export type Db = Knex;

/**
 * One module's own database. Each module gets a separate knex handle (its own SQLite file by
 * default), so no module can even see another's tables. All SQL goes through knex so a second
 * dialect (PostgreSQL, a schema per module) can be added without touching module code.
 */
export class ModuleDatabase implements StatementRunner {
  private readonly commitListeners: Array<() => void> = [];
  private readonly queued: QueuedWork[] = [];
  private grouping = false;
  private readonly publishedCommitListeners: Array<() => void> = [];
  /** Set by the outbox while a transaction of the group publishes; merged into the group's flag if that transaction stands. */
  private publishedByWork = false;
  /** Callbacks of the group in progress, run once it has ended (committed or not). */
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
        // Group commit runs each transaction in a savepoint; SQLite keeps the pages a savepoint
        // may have to restore in a sub-journal, which spills to a temporary file past 64 KiB.
        // Under load that was a pwrite per page (6 % of the server's CPU); in memory it is a copy.
        conn.pragma('temp_store = MEMORY');
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
   *
   * Group commit: the transactions asked for in one turn of the event loop form a group. Each runs alone, in
   * turn, inside its own savepoint (a failure undoes only its own writes), and the group ends
   * with one COMMIT; no caller hears of success before that COMMIT. Under load a COMMIT (one WAL
   * write of every page touched) is the dearest statement of a transaction, so sharing it is
   * what lets a single SQLite writer keep up with many concurrent requests.
   */
  transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, resolve, reject } as QueuedWork);
      if (!this.grouping) {
        this.grouping = true;
        void this.runGroups();
      }
    });
  }

  /** Runs queued transactions, as groups sharing one COMMIT, until none is left. */
  private async runGroups(): Promise<void> {
    try {
      while (this.queued.length > 0) await this.runGroup();
    } finally {
      this.grouping = false;
    }
  }

  private async runGroup(): Promise<void> {
    // The group forms while this turn of the event loop reads the other requests that arrived
    // with the first one; it starts once they have all queued their transactions.
    await new Promise((resolve) => setImmediate(resolve));
    let connection: Database.Database;
    try {
      connection = await this.pool.acquire().promise;
    } catch (err) {
      for (const q of this.queued.splice(0)) q.reject(err);
      return;
    }
    const done: Array<{ queued: QueuedWork; ok: boolean; value?: unknown; error?: unknown }> = [];
    const callbacks: Array<() => void> = [];
    let published = false;
    let groupError: unknown = null;
    this.endCallbacks = callbacks;
    try {
      control(connection).begin.run();
      while (this.queued.length > 0 && done.length < MAX_GROUP) {
        const queued = this.queued.shift()!;
        this.publishedByWork = false;
        control(connection).savepoint.run();
        this.state.holding = true;
        try {
          const value = await queued.work(this.inTransaction as unknown as Transaction);
          control(connection).release.run();
          done.push({ queued, ok: true, value });
          published ||= this.publishedByWork;
        } catch (error) {
          done.push({ queued, ok: false, error });
          if (!connection.inTransaction) {
            // SQLite rolled the whole transaction back (I/O error, full disk): the group's earlier work is gone too.
            groupError = error;
            break;
          }
          control(connection).rollbackToSavepoint.run();
          control(connection).release.run();
        } finally {
          this.state.holding = false;
        }
      }
      if (groupError) throw groupError;
      control(connection).commit.run();
    } catch (err) {
      if (connection.inTransaction) control(connection).rollback.run();
      groupError ??= err;
      published = false;
    } finally {
      this.endCallbacks = null;
      this.pool.release(connection);
    }
    for (const callback of callbacks) callback();
    for (const d of done) {
      if (groupError && d.ok) d.queued.reject(groupError);
      else if (d.ok) d.queued.resolve(d.value);
      else d.queued.reject(d.error);
    }
    if (!groupError && done.some((d) => d.ok)) for (const listener of this.commitListeners) listener();
    if (published) for (const listener of this.publishedCommitListeners) listener();
  }

  /**
   * A hot statement compiled once by knex for this database (see PreparedStatement). Declare it
   * once, in a constructor, and run it with `q` = the transaction handle or `db.knex`.
   */
  prepare<P extends unknown[], R = Record<string, unknown>>(build: (knex: Knex, param: ParamFn) => Knex.QueryBuilder | Knex.Raw): PreparedStatement<P, R> {
    return new PreparedStatement<P, R>(this, build);
  }

  /** Statements of one shape that differs by a key (see PreparedStatements): `.for(key)` compiles each once. */
  prepareEach<K, P extends unknown[], R = Record<string, unknown>>(
    build: (knex: Knex, param: ParamFn, key: K) => Knex.QueryBuilder | Knex.Raw,
  ): PreparedStatements<K, P, R> {
    return new PreparedStatements<K, P, R>(this, build);
  }

  /**
   * Runs compiled SQL on this database's SQLite connection: at once inside the transaction that
   * holds it, or, from the root handle, after waiting for it like any query; a handle of another
   * database runs it through knex. `expect` says whether the caller wants the rows or the number
   * of rows changed; a statement of the other kind is refused before it runs.
   */
  async execute(q: Knex, sql: string, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number> {
    const bindings = (this.knex.client as unknown as CachedStatementsBetterSqlite3).formatBindings(values);
    if (q === this.inTransaction) {
      const connection = this.pool.current;
      if (!connection || !this.state.holding) throw new Error('This transaction handle is used outside its transaction');
      return rowsOrChanges(runCached(connection, sql, bindings, { expect }));
    }
    if (q !== this.knex) {
      // Another database's handle (a test playing a second process on the same file): through knex.
      return rowsOrChanges(await q.raw(sql, bindings as Knex.RawBinding[]));
    }
    const connection = await this.pool.acquire().promise;
    try {
      return rowsOrChanges(runCached(connection, sql, bindings, { expect }));
    } finally {
      this.pool.release(connection);
    }
  }

  /** Runs `callback` once the transaction in progress has ended, committed or rolled back. */
  afterTransaction(callback: () => void): void {
    if (!this.endCallbacks) throw new Error('afterTransaction called outside a transaction');
    this.endCallbacks.push(callback);
  }

  /** Called by the outbox: the transaction in progress wrote events, so the relay has work after commit. */
  markPublished(): void {
    this.publishedByWork = true;
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

function rowsOrChanges(result: unknown): unknown[] | number {
  return Array.isArray(result) ? result : (result as { changes: number }).changes;
}

/** A group ends at this many transactions, so no caller waits long for its COMMIT; the rest form the next group. */
const MAX_GROUP = 64;

interface QueuedWork {
  work: (trx: Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface ControlStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackToSavepoint: Database.Statement;
}

const controlStatements = new WeakMap<Database.Database, ControlStatements>();

/** Transaction control, prepared once per connection. */
function control(connection: Database.Database): ControlStatements {
  let statements = controlStatements.get(connection);
  if (!statements) {
    statements = {
      begin: connection.prepare('BEGIN'),
      commit: connection.prepare('COMMIT'),
      rollback: connection.prepare('ROLLBACK'),
      savepoint: connection.prepare('SAVEPOINT work'),
      release: connection.prepare('RELEASE work'),
      rollbackToSavepoint: connection.prepare('ROLLBACK TO work'),
    };
    controlStatements.set(connection, statements);
  }
  return statements;
}

/** `migrations/` at the repository top, from the source tree (tsx) or from `dist/`. */
export function migrationsRoot(): string {
  return path.resolve(__dirname, '../../../migrations');
}
