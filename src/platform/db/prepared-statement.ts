import type { Knex } from 'knex';
import type { Queryable, Transaction } from './queryable';

/** Stands for a named value of a prepared statement while knex compiles it. */
class Param {
  constructor(readonly name: string) {}
}

/** `p('userId')` in a statement's builder: where that value goes. */
export type ParamFn<P> = (name: keyof P & string) => Knex.Value;

/** A statement compiled for its database: the SQL in the driver's own placeholders, and a name unique in the process. */
export interface CompiledStatement {
  readonly name: string;
  readonly sql: string;
}

/** What a prepared statement needs from its database: compile once, then run SQL with values on a handle. */
export interface StatementRunner {
  /** A knex of the database's dialect, only to compile. */
  readonly compiler: Knex;
  /** The SQL the driver takes for a compiled query (`?` for SQLite, `$1…` for PostgreSQL). */
  driverSql(compiled: Knex.Sql): string;
  /** The rows, or how many rows it changed; a statement of the other kind than `expect` is refused before it runs. */
  execute(q: Queryable, statement: CompiledStatement, values: unknown[], expect: 'rows' | 'changes'): Promise<unknown[] | number>;
  /** Sends a write inside a transaction without waiting for its answer (see PreparedStatement.defer). */
  defer(trx: Transaction, statement: CompiledStatement, values: unknown[]): void;
}

type Slot = { param: string } | { constant: unknown };

let statementCount = 0;

/**
 * A hot statement, written with knex's builder like any other query but compiled only once, for
 * this database's dialect, then run with new values each time. knex builds and compiles a query
 * on every call (about 10 µs, more than many SQLite lookups cost), and its runner adds as much
 * again; the hottest statements of a purchase are worth skipping both. `p('name')` marks where
 * the named value goes; run it with the handle first (`stmt.first(trx, { userId })`).
 */
export class PreparedStatement<P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>> {
  private compiled: (CompiledStatement & { slots: Slot[] }) | null = null;

  constructor(
    private readonly db: StatementRunner,
    private readonly build: (knex: Knex, p: ParamFn<P>) => Knex.QueryBuilder | Knex.Raw,
  ) {}

  /** Every row (a select, or a write with RETURNING). */
  async all(q: Queryable, params: P): Promise<R[]> {
    const { statement, values } = this.bind(params);
    return (await this.db.execute(q, statement, values, 'rows')) as R[];
  }

  /** The first row, or undefined. */
  async first(q: Queryable, params: P): Promise<R | undefined> {
    return (await this.all(q, params))[0];
  }

  /** A write without RETURNING: how many rows it changed. */
  async run(q: Queryable, params: P): Promise<number> {
    const { statement, values } = this.bind(params);
    return (await this.db.execute(q, statement, values, 'changes')) as number;
  }

  /**
   * A write whose answer the work does not need (how many rows it changed, a row it returned):
   * sent now, but not waited for. On PostgreSQL it travels with the next statement that is waited
   * for, or with the COMMIT, so it costs no round trip of its own; on SQLite it runs at once. If it
   * fails, the transaction fails with its error, at the latest before COMMIT: the work goes on as
   * if it had succeeded, so defer only a write that cannot fail for a reason the work would handle
   * (a unique key it would turn into a 409 must be run and waited for).
   */
  defer(trx: Transaction, params: P): void {
    const { statement, values } = this.bind(params);
    this.db.defer(trx, statement, values);
  }

  /** The SQL as compiled (for tests and logs). */
  get sql(): string {
    return this.compile().sql;
  }

  private bind(params: P): { statement: CompiledStatement; values: unknown[] } {
    const statement = this.compile();
    const { sql, slots } = statement;
    const values = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i += 1) {
      const slot = slots[i];
      const value = 'param' in slot ? params[slot.param] : slot.constant;
      if (value === undefined) throw new Error(`Prepared statement: no value for ${'param' in slot ? slot.param : `slot ${i}`} of ${sql}`);
      values[i] = value;
    }
    return { statement, values };
  }

  private compile(): CompiledStatement & { slots: Slot[] } {
    if (this.compiled) return this.compiled;
    const compiled = this.build(this.db.compiler, (name) => new Param(name) as unknown as Knex.Value).toSQL();
    // The bindings in placeholder order, whichever placeholders the driver takes.
    const slots = (compiled.bindings as unknown[]).map((b): Slot => (b instanceof Param ? { param: b.name } : { constant: b }));
    statementCount += 1;
    this.compiled = { name: `prepared_${statementCount}`, sql: this.db.driverSql(compiled), slots };
    return this.compiled;
  }
}

/**
 * Statements of one shape that differs by a key (a row count, a column pair, a status): each
 * compiled once, the first time its key is asked for.
 */
export class PreparedStatements<K, P extends Record<string, unknown> = Record<string, never>, R = Record<string, unknown>> {
  private readonly byKey = new Map<K, PreparedStatement<P, R>>();

  constructor(
    private readonly db: StatementRunner,
    private readonly build: (knex: Knex, p: ParamFn<P>, key: K) => Knex.QueryBuilder | Knex.Raw,
  ) {}

  for(key: K): PreparedStatement<P, R> {
    let statement = this.byKey.get(key);
    if (!statement) {
      statement = new PreparedStatement<P, R>(this.db, (knex, p) => this.build(knex, p, key));
      this.byKey.set(key, statement);
    }
    return statement;
  }
}
