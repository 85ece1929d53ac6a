// knex's own better-sqlite3 dialect, with two changes: prepared statements are reused, and
// LIMIT/OFFSET are written as integer literals.
const ClientBetterSQLite3: new (config: unknown) => KnexClient = require('knex/lib/dialects/better-sqlite3');
const SQLiteQueryCompiler: new (
  client: unknown,
  builder: unknown,
  formatter: unknown,
) => QueryCompiler = require('knex/lib/dialects/sqlite3/query/sqlite-querycompiler');

interface QueryCompiler {
  single: Record<string, unknown>;
  _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): unknown;
}

/**
 * SQLite (3.46 and later) plans a `LIMIT ?` by the value bound to it, and so marks the statement
 * to be prepared again whenever that parameter is bound, even to the same value: every `.first()`
 * (knex's `limit ?` with 1) was re-parsed and re-planned on each run, about three times the cost
 * of the lookup itself. knex's builder has already made LIMIT and OFFSET integers
 * (`parseInt`), so writing them into the SQL is safe; anything else stays a parameter.
 */
class LiteralLimitQueryCompiler extends SQLiteQueryCompiler {
  _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): unknown {
    const value = this.single[attribute];
    if ((attribute === 'limit' || attribute === 'offset') && Number.isSafeInteger(value)) return String(value);
    return super._getValueOrParameterFromAttribute(attribute, rawValue);
  }
}

export interface Statement {
  reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { lastInsertRowid: number | bigint; changes: number };
  safeIntegers(on: boolean): Statement;
}

export interface Connection {
  prepare(sql: string): Statement;
}

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: unknown;
  response?: unknown;
  context?: unknown;
}

interface KnexClient {
  _optSafeIntegers(options: unknown): boolean | undefined;
  _formatBindings(bindings: unknown[] | undefined): unknown[];
}

const MAX_CACHED = 2000;
const caches = new WeakMap<Connection, Map<string, Statement>>();

export type RunResult = ReturnType<Statement['run']>;

/**
 * Runs SQL on the connection through its statement cache (prepared on first use): the rows of a
 * statement that returns data (a select, or a write with RETURNING), else the run's result. A
 * caller that expects one or the other says so, and a statement of the other kind is refused
 * before it runs.
 */
export function runCached(
  connection: Connection,
  sql: string,
  bindings: unknown[],
  options: { safeIntegers?: boolean; expect?: 'rows' | 'changes' } = {},
): unknown[] | RunResult {
  let cache = caches.get(connection);
  if (!cache) {
    cache = new Map();
    caches.set(connection, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = connection.prepare(sql);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(sql, statement);
  }
  if (options.expect === 'rows' && !statement.reader) throw new Error(`This statement returns no rows (use run()): ${sql}`);
  if (options.expect === 'changes' && statement.reader) throw new Error(`This statement returns rows (use all() or first()): ${sql}`);
  statement.safeIntegers(options.safeIntegers ?? false);
  return statement.reader ? statement.all(bindings) : statement.run(bindings);
}

/**
 * knex prepares every statement anew; SQLite's prepare was 7 % of the server's CPU in the
 * benchmark. This client keeps each connection's prepared statements by SQL text (the same
 * text always means the same statement), bounded so varying `IN (...)` lists cannot grow it forever.
 */
export class CachedStatementsBetterSqlite3 extends ClientBetterSQLite3 {
  queryCompiler(builder: unknown, formatter: unknown): QueryCompiler {
    return new LiteralLimitQueryCompiler(this, builder, formatter);
  }

  async _query(connection: Connection, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const response = runCached(connection, obj.sql, this._formatBindings(obj.bindings), { safeIntegers: this._optSafeIntegers(obj.options) ?? false });
    obj.response = response;
    if (!Array.isArray(response)) obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }

  /** knex's own conversion of values for SQLite (dates to epoch ms, booleans to 0/1), for SQL run past its runner. */
  formatBindings(values: unknown[]): unknown[] {
    return this._formatBindings(values);
  }
}
