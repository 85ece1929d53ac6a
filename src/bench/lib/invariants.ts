import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Api } from './api';
import { bearer } from './api';

export interface InvariantReport {
  stage: string;
  ok: boolean;
  violations: string[];
  checked: string[];
}

/**
 * The money and seat invariants, read through the API and straight from the module databases
 * (read-only; WAL lets readers in while the server runs). Any violation fails the bench.
 */
export async function checkInvariants(
  stage: string,
  api: Api,
  admin: Record<string, string>,
  root: string,
  buyers: Array<{ id: number; token: string }> = [],
): Promise<InvariantReport> {
  const violations: string[] = [];
  const checked: string[] = [];
  const dataDir = path.join(root, 'data');

  // Bus: nothing parked.
  const dead = await api.ok('GET', '/admin/events/dead', admin);
  checked.push(`dead letters: ${dead.items.length}`);
  if (dead.items.length > 0)
    violations.push(`${dead.items.length} dead letters (first: ${dead.items[0].subscriber} ${dead.items[0].type}: ${dead.items[0].error})`);

  // Seats: at most one live hold or sale per seat, in the reservation module's own records.
  const reservation = open(dataDir, 'reservation');
  if (reservation) {
    const rows = reservation
      .prepare(
        `select schedule_id, seat_id, count(*) as n from reservations
         where status = 'CONFIRMED' or (status = 'HELD' and expires_at_ms > ?)
         group by schedule_id, seat_id having count(*) > 1`,
      )
      .all(Date.now()) as Array<{ schedule_id: number; seat_id: number; n: number }>;
    const total = (reservation.prepare(`select count(*) as n from reservations`).get() as { n: number }).n;
    checked.push(`${total} reservations: no seat held or sold twice`);
    if (rows.length)
      violations.push(`${rows.length} seats held/sold more than once (e.g. schedule ${rows[0].schedule_id} seat ${rows[0].seat_id} × ${rows[0].n})`);
    reservation.close();
  } else {
    violations.push('reservation database not found');
  }

  // Money: every balance equals its ledger and none is negative.
  const payment = open(dataDir, 'payment');
  if (payment) {
    const negative = (payment.prepare(`select count(*) as n from accounts where balance < 0`).get() as { n: number }).n;
    const mismatched = payment
      .prepare(
        `select a.user_id, a.balance, coalesce(sum(case e.type when 'PAYMENT' then -e.amount else e.amount end), 0) as ledger
         from accounts a left join ledger_entries e on e.user_id = a.user_id
         group by a.user_id, a.balance having a.balance <> ledger`,
      )
      .all() as Array<{ user_id: number; balance: number; ledger: number }>;
    const accounts = (payment.prepare(`select count(*) as n from accounts`).get() as { n: number }).n;
    const doublePaid = (
      payment
        .prepare(`select count(*) as n from (select reservation_id from payments where status = 'PAID' group by reservation_id having count(*) > 1)`)
        .get() as { n: number }
    ).n;
    checked.push(`${accounts} accounts: balance = ledger, none negative, no reservation paid twice`);
    if (negative) violations.push(`${negative} negative balances`);
    if (mismatched.length)
      violations.push(
        `${mismatched.length} balances differ from their ledger (e.g. user ${mismatched[0].user_id}: ${mismatched[0].balance} vs ${mismatched[0].ledger})`,
      );
    if (doublePaid) violations.push(`${doublePaid} reservations paid twice`);
    payment.close();
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
  const reservationDb = open(dataDir, 'reservation');
  if (reservationDb) {
    for (const r of reservationDb.prepare(`select id from reservations where status = 'CONFIRMED'`).all() as Array<{ id: number }>) confirmed.add(r.id);
    reservationDb.close();
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

function open(dataDir: string, module: string): Database.Database | null {
  const file = path.join(dataDir, `${module}.db`);
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
