import fs from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { DatabaseBase } from '../database-base';
import { DatabaseBusyError, type Dialect, type RetryReason, runMigrations, type StoredDatabase } from '../module-database';
import type { CompiledStatement, PreparedStatement } from '../prepared-statement';
import { type Direct, handle, type Queryable, stateOf, type Transaction, TransactionConflictError } from '../queryable';
import { AdvisoryLeadership } from './advisory-leadership';
import { moduleAddress, provisionModuleDatabase } from './provision';

/**
 * How long a transaction keeps being run again after serialization failures or deadlocks before
 * giving up. Of transactions that collide, at least one commits each round, so a burst of N that
 * all touch one thing (50 buyers, one seat) settles in about N short rounds.
 */
const RETRY_BUDGET_MS = 10_000;
/** SQLSTATE of the failures that a run on a fresh snapshot resolves. */
const RETRYABLE = new Map<string, RetryReason>([
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock'],
  ['23505', 'unique_violation'],
]);
/**
 * A unique violation the work did not handle is run again only this often: a concurrent insert
 * of the same key resolves on the next run (the work then sees the row, as SERIALIZABLE would
 * have reported it); one that persists is a real duplicate and must surface, not spin.
 */
const UNIQUE_VIOLATION_ATTEMPTS = 3;
const BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ';

/**
 * int8 (counts, ids, epoch milliseconds) and numeric (sums) as numbers, as SQLite gives them:
 * every such value here is an integer well inside 2^53.
 */
const numbers = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => (value === null ? null : Number(value));
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

export interface PostgresStorage {
  url: string;
  poolMax: number;
  /** How long to keep running a conflicting transaction again (default RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
}

/**
 * A module's database on PostgreSQL: its own database and role (see provision.ts), one pg pool of
 * at most `DATABASE_POOL_MAX` connections shared by knex (queries outside transactions,
 * migrations) and by this class's transactions, and SERIALIZABLE transactions run again
 * transparently when the server detects a conflict ([ADR 0009](../../../../docs/adr/0009-postgresql-isolation-and-concurrency.md)).
 * One business operation holds one connection: its transaction's.
 *
 * Transactions and prepared statements talk to the pg client themselves, not through knex's
 * transaction and runner: knex adds about 0.15 ms of CPU to each query it runs (measured in
 * ADR 0009), more than the query costs the server. Builders inside a transaction still go
 * through knex, on the transaction's client (`.connection(client)`, public knex API).
 */
export class PostgresDatabase extends DatabaseBase implements StoredDatabase {
  readonly dialect: Dialect = 'postgres';
  readonly knex: Knex;
  readonly direct: Direct;
  readonly leadership: AdvisoryLeadership;
  private readonly pool: pg.Pool;
  private readonly takeLock: PreparedStatement<{ scope: string; key: string }>;

  constructor(
    moduleName: string,
    private readonly storage: PostgresStorage,
  ) {
    super(moduleName);
    const { connectionString } = moduleAddress(storage.url, moduleName);
    // pipeline: a query is written as soon as it is made, not after the answer to the one before,
    // so the statements a transaction does not wait for (BEGIN, locks, deferred writes) cost no round trip.
    this.pool = new pg.Pool({
      connectionString,
      types: numbers,
      max: storage.poolMax,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 30_000,
      pipeline: true,
    });
    // A connection that breaks (the server restarts, an operator ends a backend) emits 'error';
    // unheard, that would end the process. The query it was running fails on its own, and pg's
    // pool drops a broken connection when it comes back.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.knex = knexFactory({ client: 'pg', connectionPool: this.pool });
    this.leadership = new AdvisoryLeadership(connectionString, moduleName);
    this.direct = handle('direct', (table) => this.knex(table), this.knex.raw.bind(this.knex) as Knex.RawBuilder, null);
    // Writing the row is the point: of two overlapping transactions, the later one's write conflicts.
    this.takeLock = this.prepare<{ scope: string; key: string }>((k, p) =>
      k('transaction_locks')
        .insert({ scope: p('scope'), lock_key: p('key'), taken: 1 })
        .onConflict(['scope', 'lock_key'])
        .merge({ taken: k.raw('transaction_locks.taken + 1') }),
    );
  }

  driverSql(compiled: Knex.Sql): string {
    return compiled.toNative().sql;
  }

  async transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + (this.storage.retryBudgetMs ?? RETRY_BUDGET_MS);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.once(work);
      } catch (err) {
        const reason = err instanceof TransactionConflictError ? 'write_conflict' : RETRYABLE.get((err as { code?: string }).code ?? '');
        if (!reason || (reason === 'unique_violation' && attempt >= UNIQUE_VIOLATION_ATTEMPTS)) throw err;
        if (Date.now() >= giveUpAt) throw new DatabaseBusyError(this.moduleName, err);
        this.retrying(reason);
        // Jittered, growing pauses (up to 50 ms), so the transactions that collided do not collide again at once.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
  }

  private async once<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let trx: Transaction | null = null;
    let broken: Error | undefined;
    try {
      const raw = ((sql: string, bindings?: Knex.RawBinding[]) => this.knex.raw(sql, bindings ?? []).connection(client)) as Knex.RawBuilder;
      trx = handle('transaction', (table) => this.knex(table).connection(client), raw, client);
      // The pool's clients pipeline (see the constructor): BEGIN goes out with the first statement.
      const begin = client.query(BEGIN);
      begin.catch(() => undefined);
      stateOf(trx).deferred.push(begin);
      const value = await this.runWork(trx, work, async () => {
        const { command } = await client.query('COMMIT');
        // A transaction that failed answers COMMIT with ROLLBACK; runWork reports why it failed.
        if (command !== 'COMMIT') throw new Error(`The ${this.moduleName} transaction was rolled back at COMMIT`);
      });
      this.ended(trx, true);
      return value;
    } catch (err) {
      // After a failed COMMIT the server has already rolled back; ROLLBACK then only warns.
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      this.ended(trx, false);
      throw err;
    } finally {
      // A connection that could not even roll back is closed rather than reused.
      client.release(broken);
    }
  }

  async lock(trx: Transaction, scope: string, key: string | number): Promise<void> {
    // Nothing to wait for: the statements after it queue behind it on the server.
    this.takeLock.defer(trx, { scope, key: String(key) });
  }

  /**
   * A prepared statement on the handle's connection (its transaction's, or any pooled one for
   * `direct`), by name: each connection parses and plans it once, then only binds and runs it.
   */
  async execute(q: Queryable, { name, sql }: CompiledStatement, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number> {
    const state = stateOf(q);
    if (!state.live) throw new Error('This transaction handle is used outside its transaction');
    const query = { name, text: sql, values };
    if (state.kind === 'direct' && q !== this.direct) throw new Error(`A statement of the ${this.moduleName} database run on another database's direct handle`);
    // A transaction's handle names its client, whichever PostgresDatabase began it (a test playing a second process).
    const result = state.kind === 'transaction' ? await (state.connection as pg.PoolClient).query(query) : await this.pool.query(query);
    return expect === 'rows' ? result.rows : (result.rowCount ?? 0);
  }

  async migrate(directories: Array<{ directory: string; tableName: string }>): Promise<void> {
    await provisionModuleDatabase(this.storage.url, this.moduleName);
    await runMigrations(this.knex, directories, (dir) => fs.existsSync(dir));
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await this.leadership.stop();
    await this.knex.destroy();
    await this.pool.end();
  }

  private ended(trx: Transaction | null, committed: boolean): void {
    if (!trx) return;
    const state = stateOf(trx);
    for (const callback of state.afterEnd) callback();
    if (!committed) return;
    this.committed(state.published);
  }
}
