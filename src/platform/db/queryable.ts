import type { Knex } from 'knex';

/** Set on every handle: the database that made it, and its state. */
export const HANDLE = Symbol('database handle');

export interface HandleState {
  /** The connection the handle's queries run on; null: any pooled connection (outside a transaction). */
  readonly connection: unknown;
  /** False once its transaction has ended: a kept handle fails loudly instead of running outside it. */
  live: boolean;
  /** Callbacks to run once the transaction has ended (committed or not). */
  readonly afterEnd: Array<() => void>;
  /** The transaction wrote events to the outbox, so the relay has work after commit. */
  published: boolean;
  /** Statements sent without waiting for their answers (see PreparedStatement.defer); settled before COMMIT. */
  readonly deferred: Array<Promise<unknown>>;
}

/**
 * What module code queries its tables with: knex's query builder, bound to one connection, and
 * `raw` for an expression inside a builder (`trx.raw('balance + ?', [amount])`). Nothing else of
 * knex: no transaction control, no schema changes, no second connection.
 */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: knex's own default for a table's row type.
  <TRecord extends {} = any, TResult = any>(table: string): Knex.QueryBuilder<TRecord, TResult>;
  raw: Knex.RawBuilder;
  readonly [HANDLE]: HandleState & { readonly kind: 'transaction' | 'direct' };
}

/** The handle of one transaction: every query of the work goes through it, and it dies with it. */
export interface Transaction extends Queryable {
  readonly [HANDLE]: HandleState & { readonly kind: 'transaction' };
}

/**
 * Queries outside any transaction: each may run on any pooled connection. For reads that need no
 * transaction (a query endpoint, a scrape). Never inside a transaction's work: on SQLite it waits
 * for the connection the transaction holds, forever.
 */
export interface Direct extends Queryable {
  readonly [HANDLE]: HandleState & { readonly kind: 'direct' };
}

export function handle<K extends 'transaction' | 'direct'>(
  kind: K,
  build: (table: string) => Knex.QueryBuilder,
  raw: Knex.RawBuilder,
  connection: unknown,
): K extends 'transaction' ? Transaction : Direct {
  const state = { kind, connection, live: true, afterEnd: [] as Array<() => void>, published: false, deferred: [] as Array<Promise<unknown>> };
  const q = ((table: string) => {
    if (!state.live) throw new Error('This transaction handle is used outside its transaction');
    return build(table);
  }) as unknown as Queryable & { raw: Knex.RawBuilder; [HANDLE]: typeof state };
  q.raw = raw;
  q[HANDLE] = state;
  return q as never;
}

export function stateOf(q: Queryable): HandleState & { readonly kind: 'transaction' | 'direct' } {
  const state = q[HANDLE];
  if (!state) throw new Error('Not a database handle');
  return state;
}

/**
 * Thrown inside a transaction's work when a concurrent writer got there first (an insert that a
 * unique key refused, though the snapshot showed nothing): the whole work runs again, on a fresh
 * snapshot, as PostgreSQL's own serialization failures do.
 */
export class TransactionConflictError extends Error {
  readonly code = '40001';

  constructor(what: string) {
    super(`Concurrent write on ${what}; the transaction runs again`);
    this.name = 'TransactionConflictError';
  }
}
