// knex's own better-sqlite3 dialect, with two changes: prepared statements are reused, and
// LIMIT/OFFSET are written as integer literals.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ClientBetterSQLite3: new (config: unknown) => KnexClient = require('knex/lib/dialects/better-sqlite3');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SQLiteQueryCompiler: new (client: unknown, builder: unknown, formatter: unknown) => QueryCompiler = require('knex/lib/dialects/sqlite3/query/sqlite-querycompiler');

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

/** The connection's prepared statement for this SQL text, prepared on first use. */
export function cachedStatement(connection: Connection, sql: string): Statement {
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
  return statement;
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
    const statement = cachedStatement(connection, obj.sql);
    const safeIntegers = this._optSafeIntegers(obj.options);
    statement.safeIntegers(safeIntegers ?? false);
    const bindings = this._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }
}
