import type { Knex } from 'knex';
import type { Dialect, RetryReason } from './module-database';
import { type CompiledStatement, type ParamFn, PreparedStatement, PreparedStatements, type StatementRunner } from './prepared-statement';
import { type Direct, type Queryable, stateOf, type Transaction } from './queryable';

/**
 * What both backends share: a transaction handle's bookkeeping, prepared statements, and the
 * listeners the bus and the metrics register. A backend adds how it connects, runs a transaction
 * and runs a compiled statement.
 */
export abstract class DatabaseBase implements StatementRunner {
  abstract readonly dialect: Dialect;
  abstract readonly knex: Knex;
  abstract readonly direct: Direct;
  private readonly commitListeners: Array<() => void> = [];
  private readonly publishedCommitListeners: Array<() => void> = [];
  private readonly retryListeners: Array<(reason: RetryReason) => void> = [];

  constructor(readonly moduleName: string) {}

  get compiler(): Knex {
    return this.knex;
  }

  abstract driverSql(compiled: Knex.Sql): string;
  abstract execute(q: Queryable, statement: CompiledStatement, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number>;

  afterTransaction(trx: Transaction, callback: () => void): void {
    stateOf(trx).afterEnd.push(callback);
  }

  markPublished(trx: Transaction): void {
    stateOf(trx).published = true;
  }

  prepare<P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>>(
    build: (knex: Knex, p: ParamFn<P>) => Knex.QueryBuilder | Knex.Raw,
  ): PreparedStatement<P, R> {
    return new PreparedStatement<P, R>(this, build);
  }

  prepareEach<K, P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>>(
    build: (knex: Knex, p: ParamFn<P>, key: K) => Knex.QueryBuilder | Knex.Raw,
  ): PreparedStatements<K, P, R> {
    return new PreparedStatements<K, P, R>(this, build);
  }

  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  onPublishedCommit(listener: () => void): void {
    this.publishedCommitListeners.push(listener);
  }

  onRetry(listener: (reason: RetryReason) => void): void {
    this.retryListeners.push(listener);
  }

  /** After a COMMIT: every commit listener, and the relay's cue if one of its transactions published events. */
  protected committed(published: boolean): void {
    for (const listener of this.commitListeners) listener();
    if (published) for (const listener of this.publishedCommitListeners) listener();
  }

  protected retrying(reason: RetryReason): void {
    for (const listener of this.retryListeners) listener(reason);
  }
}
