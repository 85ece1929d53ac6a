import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { DatabaseBase } from '../database-base';
import { SoleLeadership } from '../leadership';
import { type Dialect, runMigrations, type StoredDatabase } from '../module-database';
import type { CompiledStatement } from '../prepared-statement';
import { type Direct, handle, type Queryable, stateOf, type Transaction, TransactionConflictError } from '../queryable';
import { GroupCommit } from './group-commit';
import { type Connection, openSqliteConnection, runCached, SingleConnectionPool, sqliteKnex } from './knex-sqlite-adapter';

/**
 * A module's database as one SQLite file (or in memory) with exactly one connection: SQLite has
 * one writer, so transactions queue for it and share COMMITs (GroupCommit).
 */
export class SqliteDatabase extends DatabaseBase implements StoredDatabase {
  readonly dialect: Dialect = 'sqlite';
  readonly knex: Knex;
  readonly direct: Direct;
  /** One process per file: it always leads. */
  readonly leadership = new SoleLeadership();
  private readonly pool: SingleConnectionPool;
  /** Each queued transaction's handle, once its work has started. */
  private readonly groups: GroupCommit<{ trx?: Transaction }>;
  private readonly formatBindings: (values: unknown[]) => unknown[];

  constructor(
    moduleName: string,
    /** A directory for `<module>.db`, or `:memory:`. */
    dataDir: string,
  ) {
    super(moduleName);
    const inMemory = dataDir === ':memory:';
    if (!inMemory) fs.mkdirSync(dataDir, { recursive: true });
    const filename = inMemory ? ':memory:' : path.join(dataDir, `${moduleName}.db`);
    this.pool = new SingleConnectionPool(() => openSqliteConnection(filename), 30_000);
    const { knex, formatBindings } = sqliteKnex(this.pool);
    this.knex = knex;
    this.formatBindings = formatBindings;
    this.direct = handle('direct', (table) => knex(table), knex.raw.bind(knex) as Knex.RawBuilder, null);
    this.groups = new GroupCommit<{ trx?: Transaction }>(this.pool, ({ committed, works }) => {
      for (const { tag } of works) for (const callback of tag.trx ? stateOf(tag.trx).afterEnd : []) callback();
      if (!committed || !works.some((w) => w.ok)) return;
      this.committed(works.some((w) => w.ok && w.tag.trx && stateOf(w.tag.trx).published));
    });
  }

  driverSql(compiled: Knex.Sql): string {
    return compiled.sql;
  }

  async transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    // SQLite runs one transaction at a time, so a conflict can only be the work's own report of one.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.once(work);
      } catch (err) {
        if (!(err instanceof TransactionConflictError) || attempt >= 5) throw err;
        this.retrying('write_conflict');
      }
    }
  }

  private once<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    const tag: { trx?: Transaction } = {};
    return this.groups.run(tag, async (connection) => {
      // The handle names the connection the group holds, so its queries never wait for the pool.
      const raw = ((sql: string, bindings?: Knex.RawBinding[]) => this.knex.raw(sql, bindings ?? []).connection(connection)) as Knex.RawBuilder;
      const trx = handle('transaction', (table) => this.knex(table).connection(connection), raw, connection);
      tag.trx = trx;
      return this.runWork(trx, work);
    });
  }

  async lock(trx: Transaction, _scope: string, _key: string | number): Promise<void> {
    // One transaction at a time (and a group's works one after another): there is nothing to take turns with.
    if (!stateOf(trx).live) throw new Error('This transaction handle is used outside its transaction');
  }

  /**
   * Runs compiled SQL: at once on the connection a transaction holds, or, on `direct`, after
   * waiting for the connection like any query. A handle of another database (a test playing a
   * second process on the same file) runs it through its own knex.
   */
  async execute(q: Queryable, { sql }: CompiledStatement, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number> {
    const state = stateOf(q);
    if (!state.live) throw new Error('This transaction handle is used outside its transaction');
    const bindings = this.formatBindings(values);
    if (state.kind === 'transaction') return rowsOrChanges(runCached(state.connection as Connection, sql, bindings, { expect }));
    if (q !== this.direct) return rowsOrChanges(await q.raw(sql, bindings as Knex.RawBinding[]));
    const connection = await this.pool.acquire().promise;
    try {
      return rowsOrChanges(runCached(connection, sql, bindings, { expect }));
    } finally {
      this.pool.release(connection);
    }
  }

  async migrate(directories: Array<{ directory: string; tableName: string }>): Promise<void> {
    await runMigrations(this.knex, directories, (dir) => fs.existsSync(dir));
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}

function rowsOrChanges(result: unknown): unknown[] | number {
  return Array.isArray(result) ? result : (result as { changes: number }).changes;
}
