/**
 * Everything that reaches into knex's internals, in one place (pinned by
 * test/platform/knex-internals.test.ts and knex's `~3.3.0` in package.json): knex's own
 * better-sqlite3 dialect with reused prepared statements and literal LIMIT/OFFSET, and the
 * single-connection pool knex is given instead of tarn's.
 */
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';

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

interface Statement {
  reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { lastInsertRowid: number | bigint; changes: number };
  safeIntegers(on: boolean): Statement;
}

export type Connection = Database.Database;

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
    statement = connection.prepare(sql) as unknown as Statement;
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
class CachedStatementsBetterSqlite3 extends ClientBetterSQLite3 {
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

/**
 * The pool knex is given for an embedded SQLite database: exactly one connection, handed out
 * first come, first served. SQLite has one writer anyway; tarn's general-purpose pool cost about
 * 150 µs per acquire-and-release here, more than the queries themselves. It speaks the part of
 * tarn's interface knex uses (the `connectionPool` option). A transaction holds the connection
 * for its whole group; its queries name the connection (`builder.connection(conn)`) and so never
 * ask the pool.
 */
export class SingleConnectionPool {
  private connection: Connection | null = null;
  private busy = false;
  private readonly waiters: Array<{ resolve: (c: Connection) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private destroyed = false;

  constructor(
    private readonly open: () => Connection,
    private readonly acquireTimeoutMs: number,
  ) {}

  acquire(): { promise: Promise<Connection> } {
    return { promise: this.take() };
  }

  release(connection: Connection): boolean {
    if (connection !== this.connection) return false;
    const next = this.waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(connection);
    } else {
      this.busy = false;
    }
    return true;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('The database is closed'));
    }
    this.connection?.close();
    this.connection = null;
  }

  numFree(): number {
    return this.connection && !this.busy ? 1 : 0;
  }

  numUsed(): number {
    return this.busy ? 1 : 0;
  }

  numPendingAcquires(): number {
    return this.waiters.length;
  }

  numPendingCreates(): number {
    return 0;
  }

  private async take(): Promise<Connection> {
    if (this.destroyed) throw new Error('The database is closed');
    this.connection ??= this.open();
    if (!this.busy) {
      this.busy = true;
      return this.connection;
    }
    return new Promise<Connection>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`Timed out after ${this.acquireTimeoutMs} ms waiting for the database connection: is a query running outside its transaction?`));
      }, this.acquireTimeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }
}

/** Opens a module's SQLite file (or an in-memory database) with the settings the platform relies on. */
export function openSqliteConnection(filename: string): Connection {
  const inMemory = filename === ':memory:';
  const conn = new Database(filename);
  if (!inMemory) conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  // Group commit runs each transaction in a savepoint; SQLite keeps the pages a savepoint
  // may have to restore in a sub-journal, which spills to a temporary file past 64 KiB.
  // Under load that was a pwrite per page (6 % of the server's CPU); in memory it is a copy.
  conn.pragma('temp_store = MEMORY');
  return conn;
}

/** knex on one SQLite connection, through the cached-statements client. */
export function sqliteKnex(pool: SingleConnectionPool): { knex: Knex; formatBindings(values: unknown[]): unknown[] } {
  const knex = knexFactory({
    client: CachedStatementsBetterSqlite3 as unknown as typeof knexFactory.Client,
    connectionPool: pool,
    useNullAsDefault: true,
  } as Knex.Config);
  const client = knex.client as unknown as CachedStatementsBetterSqlite3;
  return { knex, formatBindings: (values) => client.formatBindings(values) };
}
