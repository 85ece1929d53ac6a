import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { moduleAddress } from '../../platform/db/postgres/provision';
import type { Api } from './api';
import { bearer } from './api';
import type { ModuleStore } from './backends';

export interface InvariantReport {
  stage: string;
  ok: boolean;
  violations: string[];
  checked: string[];
}

/**
 * The money and seat invariants, read through the API and straight from the module databases
 * (read-only: SQLite files opened read-only, WAL letting readers in while the server runs; on
 * PostgreSQL a read-only transaction as the module's own role). Any violation fails the bench.
 */
export async function checkInvariants(
  stage: string,
  api: Api,
  admin: Record<string, string>,
  store: ModuleStore,
  buyers: Array<{ id: number; token: string }> = [],
): Promise<InvariantReport> {
  const violations: string[] = [];
  const checked: string[] = [];

  // Bus: nothing parked.
  const dead = await api.ok('GET', '/admin/events/dead', admin);
  checked.push(`dead letters: ${dead.items.length}`);
  if (dead.items.length > 0)
    violations.push(`${dead.items.length} dead letters (first: ${dead.items[0].subscriber} ${dead.items[0].type}: ${dead.items[0].error})`);

  // Seats: at most one live hold or sale per seat, in the reservation module's own records.
  const reservation = await openModuleReader(store, 'reservation');
  if (reservation) {
    const rows = await reservation.all<{ schedule_id: number; seat_id: number; n: number }>(
      `select schedule_id, seat_id, count(*) as n from reservations
       where status = 'CONFIRMED' or (status = 'HELD' and expires_at_ms > ?)
       group by schedule_id, seat_id having count(*) > 1`,
      Date.now(),
    );
    const total = (await reservation.get<{ n: number }>(`select count(*) as n from reservations`)).n;
    checked.push(`${total} reservations: no seat held or sold twice`);
    if (rows.length)
      violations.push(`${rows.length} seats held/sold more than once (e.g. schedule ${rows[0].schedule_id} seat ${rows[0].seat_id} × ${rows[0].n})`);
    await reservation.close();
  } else {
    violations.push('reservation database not found');
  }

  // Money: every balance equals its ledger and none is negative.
  const payment = await openModuleReader(store, 'payment');
  if (payment) {
    const negative = (await payment.get<{ n: number }>(`select count(*) as n from accounts where balance < 0`)).n;
    // The HAVING repeats the sum (PostgreSQL does not see output names there) and the derived
    // table is named (PostgreSQL 15 requires it): the same SQL runs on both backends.
    const mismatched = await payment.all<{ user_id: number; balance: number; ledger: number }>(
      `select a.user_id, a.balance, coalesce(sum(case e.type when 'PAYMENT' then -e.amount else e.amount end), 0) as ledger
       from accounts a left join ledger_entries e on e.user_id = a.user_id
       group by a.user_id, a.balance
       having a.balance <> coalesce(sum(case e.type when 'PAYMENT' then -e.amount else e.amount end), 0)`,
    );
    const accounts = (await payment.get<{ n: number }>(`select count(*) as n from accounts`)).n;
    const doublePaid = (
      await payment.get<{ n: number }>(
        `select count(*) as n from (select reservation_id from payments where status = 'PAID' group by reservation_id having count(*) > 1) as paid_twice`,
      )
    ).n;
    checked.push(`${accounts} accounts: balance = ledger, none negative, no reservation paid twice`);
    if (negative) violations.push(`${negative} negative balances`);
    if (mismatched.length)
      violations.push(
        `${mismatched.length} balances differ from their ledger (e.g. user ${mismatched[0].user_id}: ${mismatched[0].balance} vs ${mismatched[0].ledger})`,
      );
    if (doublePaid) violations.push(`${doublePaid} reservations paid twice`);
    await payment.close();
  } else {
    violations.push('payment database not found');
  }

  // Through the API too, for the buyers: balance = their history.
  for (const buyer of buyers.slice(0, 200)) {
    const balance = await api.ok('GET', '/balance', bearer(buyer.token));
    const history = await api.ok('GET', '/payments/history?limit=200', bearer(buyer.token));
    const sum = history.items.reduce((n: number, e: { type: string; amount: number }) => n + (e.type === 'PAYMENT' ? -e.amount : e.amount), 0);
    if (sum !== balance.balance) violations.push(`user ${buyer.id}: /balance ${balance.balance} but history sums to ${sum}`);
  }
  if (buyers.length) checked.push(`API: /balance = /payments/history for ${Math.min(200, buyers.length)} buyers`);

  // Data platform: every confirmed reservation exactly once.
  const confirmed = new Set<number>();
  const reservationDb = await openModuleReader(store, 'reservation');
  if (reservationDb) {
    for (const r of await reservationDb.all<{ id: number }>(`select id from reservations where status = 'CONFIRMED'`)) confirmed.add(r.id);
    await reservationDb.close();
  }
  const seen = new Map<number, number>();
  for (let page = 1; ; page += 1) {
    const res = await api.ok('GET', `/data-platform/reservations?status=ALL&page=${page}&pageSize=500`, admin);
    for (const item of res.items) seen.set(item.reservationId, (seen.get(item.reservationId) ?? 0) + 1);
    if (res.items.length < 500) break;
  }
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  const missing = [...confirmed].filter((id) => !seen.has(id)).length;
  checked.push(`data platform: ${seen.size} records for ${confirmed.size} confirmed reservations`);
  if (duplicates) violations.push(`${duplicates} reservations appear more than once in the data platform`);
  if (missing) violations.push(`${missing} confirmed reservations are missing from the data platform`);

  return { stage, ok: violations.length === 0, violations, checked };
}

/** A module's database opened for reading, on either backend; SQL with `?` placeholders. */
export interface ModuleReader {
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  get<T>(sql: string, ...params: unknown[]): Promise<T>;
  close(): Promise<void>;
}

/** The module's database, read-only, or null when it does not exist (the server never created it). */
export async function openModuleReader(store: ModuleStore, module: string): Promise<ModuleReader | null> {
  return store.kind === 'sqlite' ? openSqlite(store.dataDir, module) : openPostgres(store.url, module);
}

function openSqlite(dataDir: string, module: string): ModuleReader | null {
  const file = path.join(dataDir, `${module}.db`);
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return {
    all: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as T,
    close: async () => {
      db.close();
    },
  };
}

/** int8 (counts, epoch milliseconds) and numeric (sums) as numbers, as SQLite gives them and the server reads them. */
const numbers = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text'),
};

/**
 * The module's PostgreSQL database, as the module's own role (the only one that can read its
 * tables), in one read-only REPEATABLE READ transaction: every statement of a check sees the same
 * snapshot, and nothing can be written.
 */
async function openPostgres(systemUrl: string, module: string): Promise<ModuleReader | null> {
  const client = new pg.Client({ connectionString: moduleAddress(systemUrl, module).connectionString, types: numbers });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    if ((err as { code?: string }).code === '3D000') return null;
    throw err;
  }
  await client.query('begin isolation level repeatable read read only');
  const all = async <T>(sql: string, ...params: unknown[]) => {
    let n = 0;
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as T[];
  };
  return {
    all,
    get: async <T>(sql: string, ...params: unknown[]) => (await all<T>(sql, ...params))[0],
    close: async () => {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    },
  };
}
