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

  defer(trx: Transaction, statement: CompiledStatement, values: unknown[]): void {
    const state = stateOf(trx);
    if (state.kind !== 'transaction') throw new Error('Only a statement inside a transaction can be deferred');
    const running = this.execute(trx, statement, values, 'changes');
    // Its failure is read by runWork, before COMMIT; it must not also surface as an unhandled rejection.
    running.catch(() => undefined);
    state.deferred.push(running);
  }

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

  /**
   * Runs a transaction's work, then `commit`, and fails if a deferred statement failed. A deferred
   * failure comes first in the transaction's order, so it is the cause of whatever the work threw
   * after it (on PostgreSQL every later statement fails with "current transaction is aborted").
   * `commit` is sent before the deferred answers are in: on PostgreSQL the COMMIT then goes out
   * right behind them, and, the transaction being aborted if one failed, only rolls back.
   */
  protected async runWork<T>(trx: Transaction, work: (trx: Transaction) => Promise<T>, commit?: () => Promise<void>): Promise<T> {
    let value: T;
    try {
      value = await work(trx);
    } catch (err) {
      throw (await this.deferredFailure(trx)) ?? err;
    } finally {
      stateOf(trx).live = false;
    }
    const committing = commit?.();
    committing?.catch(() => undefined);
    const failure = await this.deferredFailure(trx);
    if (failure !== undefined) throw failure;
    await committing;
    return value;
  }

  private async deferredFailure(trx: Transaction): Promise<unknown> {
    const settled = await Promise.allSettled(stateOf(trx).deferred);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    return failed?.reason;
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
