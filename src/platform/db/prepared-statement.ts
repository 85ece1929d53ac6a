import type { Knex } from 'knex';

/** Stands for the i-th value of a prepared statement while knex compiles it. */
class Param {
  constructor(readonly index: number) {}
}

export type ParamFn = (index: number) => Knex.Value;

/** What a prepared statement needs from its database: compile once, then run SQL with values. */
export interface StatementRunner {
  readonly knex: Knex;
  /** The rows, or how many rows it changed; a statement of the other kind than `expect` is refused before it runs. */
  execute(q: Knex, sql: string, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number>;
}

/**
 * A hot statement, written with knex's builder like any other query but compiled only once, for
 * this database's dialect, then run with new values each time. knex builds and compiles a query
 * on every call (about 10 µs, more than many SQLite lookups cost), and its runner adds as much
 * again; the hottest statements of a purchase are worth skipping both. `param(i)` marks where
 * the i-th value goes. Run it with `q` = the transaction handle inside a transaction, or the
 * database's knex outside one, as with any query.
 */
export class PreparedStatement<P extends unknown[] = unknown[], R = Record<string, unknown>> {
  private compiled: { sql: string; slots: Array<{ param: number } | { constant: unknown }> } | null = null;

  constructor(
    private readonly db: StatementRunner,
    private readonly build: (knex: Knex, param: ParamFn) => Knex.QueryBuilder | Knex.Raw,
  ) {}

  /** Every row (a select, or a write with RETURNING). */
  async all(q: Knex, ...params: P): Promise<R[]> {
    const { sql, values } = this.bind(params);
    return (await this.db.execute(q, sql, values, 'rows')) as R[];
  }

  /** The first row, or undefined. */
  async first(q: Knex, ...params: P): Promise<R | undefined> {
    return (await this.all(q, ...params))[0];
  }

  /** A write without RETURNING: how many rows it changed. */
  async run(q: Knex, ...params: P): Promise<number> {
    const { sql, values } = this.bind(params);
    return (await this.db.execute(q, sql, values, 'changes')) as number;
  }

  /** The SQL as compiled (for tests and logs). */
  get sql(): string {
    return this.compile().sql;
  }

  private bind(params: unknown[]): { sql: string; values: unknown[] } {
    const { sql, slots } = this.compile();
    const values = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i += 1) {
      const slot = slots[i];
      const value = 'param' in slot ? params[slot.param] : slot.constant;
      if (value === undefined) throw new Error(`Prepared statement: no value for parameter ${'param' in slot ? slot.param : i} of ${sql}`);
      values[i] = value;
    }
    return { sql, values };
  }

  private compile(): { sql: string; slots: Array<{ param: number } | { constant: unknown }> } {
    if (this.compiled) return this.compiled;
    const native = this.build(this.db.knex, (index) => new Param(index) as unknown as Knex.Value)
      .toSQL()
      .toNative();
    const slots = (native.bindings as unknown[]).map((b) => (b instanceof Param ? { param: b.index } : { constant: b }));
    this.compiled = { sql: native.sql, slots };
    return this.compiled;
  }
}

/**
 * Statements of one shape that differs by a key (a row count, a column pair, a status): each
 * compiled once, the first time its key is asked for.
 */
export class PreparedStatements<K, P extends unknown[] = unknown[], R = Record<string, unknown>> {
  private readonly byKey = new Map<K, PreparedStatement<P, R>>();

  constructor(
    private readonly db: StatementRunner,
    private readonly build: (knex: Knex, param: ParamFn, key: K) => Knex.QueryBuilder | Knex.Raw,
  ) {}

  for(key: K): PreparedStatement<P, R> {
    let statement = this.byKey.get(key);
    if (!statement) {
      statement = new PreparedStatement<P, R>(this.db, (knex, param) => this.build(knex, param, key));
      this.byKey.set(key, statement);
    }
    return statement;
  }
}
