import path from 'node:path';
import type { Knex } from 'knex';
import type { Leadership } from './leadership';
import type { ParamFn, PreparedStatement, PreparedStatements } from './prepared-statement';
import type { Direct, Queryable, Transaction } from './queryable';

export type { Direct, Queryable, Transaction } from './queryable';
export { TransactionConflictError } from './queryable';

/** Any handle: a transaction's, or `direct`. What a repository method that only reads takes. */
export type Db = Queryable;

export type Dialect = 'sqlite' | 'postgres';

/**
 * Why a transaction ran again: PostgreSQL reported a concurrent update (serialization failure), a
 * deadlock, or a unique key taken by a transaction its snapshot did not see (unique_violation), or
 * the work itself found a key taken (write_conflict, TransactionConflictError).
 */
export type RetryReason = 'serialization_failure' | 'deadlock' | 'unique_violation' | 'write_conflict';

/**
 * The server could not run a transaction without a conflict after every retry. Not a bug and
 * not the client's fault: answered 503 with Retry-After, never 500.
 */
export class DatabaseBusyError extends Error {
  constructor(moduleName: string, cause: unknown) {
    super(`The ${moduleName} database kept reporting conflicts; try again shortly`, { cause });
    this.name = 'DatabaseBusyError';
  }
}

/**
 * One module's own database, as its code sees it (`PLATFORM.Database`). Each module gets its own
 * (its own SQLite file, or its own PostgreSQL database and role), so no module can even see
 * another's tables. Module code gets handles, never knex itself: a transaction's `trx`, or
 * `direct` for a read outside any transaction, and passes one as the first argument of every
 * repository method.
 */
export interface ModuleDatabase {
  readonly moduleName: string;
  readonly dialect: Dialect;
  /** Queries outside any transaction. Never inside a transaction's work (see Direct). */
  readonly direct: Direct;

  /**
   * Runs `work` in a transaction. Every query inside must use `trx`. On SQLite the transactions
   * that arrive together share one COMMIT (group commit); on PostgreSQL each reads one snapshot
   * (REPEATABLE READ) and is run again, transparently, when the server reports a concurrent update
   * of a row it changes, a deadlock or a unique key a concurrent transaction took, so `work` must
   * have no effect outside the transaction except through `afterTransaction`, and a rule that
   * spans rows needs `lock`.
   */
  transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T>;

  /** Runs `callback` once `trx`'s transaction has ended, committed or rolled back. */
  afterTransaction(trx: Transaction, callback: () => void): void;

  /**
   * Makes the transactions that lock the same `scope` and `key` take turns, for a rule no single
   * row carries (a user's live holds: count them, then add one). Call it before reading what the
   * rule is about. On PostgreSQL the later of two overlapping transactions runs again on a fresh
   * snapshot, so it sees what the earlier committed; on SQLite transactions never overlap and it
   * does nothing. A rule that one row carries (a balance, a status) needs no lock: a concurrent
   * update of the same row already makes the later transaction run again.
   */
  lock(trx: Transaction, scope: string, key: string | number): Promise<void>;

  /** A hot statement compiled once (see PreparedStatement). Declare it once, in a constructor. */
  prepare<P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>>(
    build: (knex: Knex, p: ParamFn<P>) => Knex.QueryBuilder | Knex.Raw,
  ): PreparedStatement<P, R>;

  /** Statements of one shape that differs by a key: `.for(key)` compiles each once. */
  prepareEach<K, P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>>(
    build: (knex: Knex, p: ParamFn<P>, key: K) => Knex.QueryBuilder | Knex.Raw,
  ): PreparedStatements<K, P, R>;

  /** Runs after every committed transaction. */
  onCommit(listener: () => void): void;
}

/** The same database as the platform (and its tests and tools) handle it: knex itself, the bus's hooks, the lifecycle. */
export interface StoredDatabase extends ModuleDatabase {
  /** knex on this database, for migrations, tests and maintenance, never for module code. */
  readonly knex: Knex;
  /** Called by the outbox: `trx` wrote events, so the relay has work after its commit. */
  markPublished(trx: Transaction): void;
  /** Runs after a commit of a transaction that published events (the relay's cue). */
  onPublishedCommit(listener: () => void): void;
  /** Runs each time a transaction's work is run again after a conflict (for the retries metric). */
  onRetry(listener: (reason: RetryReason) => void): void;
  /** Which replica of the module relays, consumes and runs jobs (see Leadership). */
  readonly leadership: Leadership;
  /** Creates what the database needs (PostgreSQL: its role and database), then migrates it. */
  migrate(directories: Array<{ directory: string; tableName: string }>): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** `migrations/` at the repository top, from the source tree (tsx) or from `dist/`. */
export function migrationsRoot(): string {
  return path.resolve(__dirname, '../../../migrations');
}

/** Migrations in `directories`, each with its own migrations table, through knex. */
export async function runMigrations(knex: Knex, directories: Array<{ directory: string; tableName: string }>, exists: (dir: string) => boolean): Promise<void> {
  const extension = __filename.endsWith('.ts') ? '.ts' : '.js';
  for (const { directory, tableName } of directories) {
    if (!exists(directory)) continue;
    await knex.migrate.latest({ directory, tableName, loadExtensions: [extension] });
  }
}
