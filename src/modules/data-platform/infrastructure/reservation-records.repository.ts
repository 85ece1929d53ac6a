import { inject, injectable } from 'inversify';
import type { Knex } from 'knex';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type DeliveryResult, UNDELIVERED_STATES } from '../domain/delivery';
import { DELIVERY_STATES, type DeliveryState, type NewRecord, type RecordStatus, type ReservationRecord } from '../domain/reservation-record';

export interface RecordFilter {
  concertId?: number;
  scheduleId?: number;
  /** Inclusive lower bound on confirmedAt. */
  fromMs?: number;
  /** Exclusive upper bound on confirmedAt. */
  toMs?: number;
  status: RecordStatus | 'ALL';
  delivery?: DeliveryState;
}

export interface RecordPage {
  records: ReservationRecord[];
  total: number;
  /** Sum of the amounts of the matching records that are still CONFIRMED (a cancelled one was refunded). */
  revenue: number;
}

interface RecordRow {
  reservation_id: number;
  user_id: number;
  concert_id: number;
  schedule_id: number;
  seat_id: number;
  seat_label: string;
  amount: number;
  payment_id: number;
  confirmed_at_ms: number;
  received_at_ms: number;
  status: RecordStatus;
  cancelled_at_ms: number | null;
  delivery: DeliveryState;
  delivery_attempts: number;
  next_attempt_at_ms: number | null;
  last_delivery_error: string | null;
  delivered_at_ms: number | null;
  title: string | null;
  artist: string | null;
  venue: string | null;
  starts_at: string | null;
}

const nullableNumber = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(row: RecordRow): ReservationRecord {
  return {
    reservationId: row.reservation_id,
    userId: row.user_id,
    concertId: row.concert_id,
    scheduleId: row.schedule_id,
    seatId: row.seat_id,
    seatLabel: row.seat_label,
    amount: Number(row.amount),
    paymentId: row.payment_id,
    confirmedAtMs: Number(row.confirmed_at_ms),
    receivedAtMs: Number(row.received_at_ms),
    status: row.status,
    cancelledAtMs: nullableNumber(row.cancelled_at_ms),
    delivery: row.delivery,
    deliveryAttempts: Number(row.delivery_attempts),
    nextAttemptAtMs: nullableNumber(row.next_attempt_at_ms),
    lastDeliveryError: row.last_delivery_error,
    deliveredAtMs: nullableNumber(row.delivered_at_ms),
    concertTitle: row.title,
    artist: row.artist,
    venue: row.venue,
    startsAt: row.starts_at,
  };
}

const RECORD_COLUMNS = [
  'r.reservation_id',
  'r.user_id',
  'r.concert_id',
  'r.schedule_id',
  'r.seat_id',
  'r.seat_label',
  'r.amount',
  'r.payment_id',
  'r.confirmed_at_ms',
  'r.received_at_ms',
  'r.status',
  'r.cancelled_at_ms',
  'r.delivery',
  'r.delivery_attempts',
  'r.next_attempt_at_ms',
  'r.last_delivery_error',
  'r.delivered_at_ms',
  's.title',
  's.artist',
  's.venue',
  's.starts_at',
];

/**
 * The `db.lock` scope on which a reservation's confirmation and its cancellation take turns
 * (key: the reservation id): each decides from the absence of the other's row (the record, the
 * early-cancellation note), which no single row or unique key carries.
 */
export const RECORD_OF_RESERVATION = 'record-of-reservation';

/** The feed table (dp_reservations) and the early-cancellation notes. */
@injectable()
export class ReservationRecords {
  // Once per confirmed purchase: compiled once (see PreparedStatement).
  private readonly insertRecord;
  private readonly selectEarlyCancellation;

  constructor(@inject(PLATFORM.Database) db: ModuleDatabase) {
    this.insertRecord = db.prepare<NewRecord & { nextAttemptAtMs: number | null }, { id: number }>((k, p) =>
      k('dp_reservations')
        .insert({
          reservation_id: p('reservationId'),
          user_id: p('userId'),
          concert_id: p('concertId'),
          schedule_id: p('scheduleId'),
          seat_id: p('seatId'),
          seat_label: p('seatLabel'),
          amount: p('amount'),
          payment_id: p('paymentId'),
          confirmed_at_ms: p('confirmedAtMs'),
          received_at_ms: p('receivedAtMs'),
          status: p('status'),
          cancelled_at_ms: p('cancelledAtMs'),
          source_event_id: p('sourceEventId'),
          delivery: p('delivery'),
          delivery_attempts: 0,
          next_attempt_at_ms: p('nextAttemptAtMs'),
        })
        .onConflict('reservation_id')
        .ignore()
        .returning('id'),
    );
    this.selectEarlyCancellation = db.prepare<{ reservationId: number }, { cancelled_at_ms: number }>((k, p) =>
      k('dp_early_cancellations')
        .where({ reservation_id: p('reservationId') })
        .first('cancelled_at_ms'),
    );
  }

  /** Stores a confirmed reservation; false when it is already stored (the unique reservation_id decides). */
  async insert(trx: Transaction, record: NewRecord): Promise<boolean> {
    // A record is due for delivery as soon as it arrives; one stored without a sink waits for none.
    const inserted = await this.insertRecord.all(trx, { ...record, nextAttemptAtMs: record.delivery === 'PENDING' ? record.receivedAtMs : null });
    return inserted.length > 0;
  }

  /** Marks a stored CONFIRMED record CANCELLED. Says whether the record exists at all. */
  async cancel(trx: Transaction, reservationId: number, cancelledAtMs: number): Promise<'cancelled' | 'already-cancelled' | 'unknown'> {
    const updated = await trx('dp_reservations')
      .where({ reservation_id: reservationId, status: 'CONFIRMED' })
      .update({ status: 'CANCELLED', cancelled_at_ms: cancelledAtMs });
    if (updated > 0) return 'cancelled';
    const exists = await trx('dp_reservations').where({ reservation_id: reservationId }).first('id');
    return exists ? 'already-cancelled' : 'unknown';
  }

  async noteEarlyCancellation(trx: Transaction, reservationId: number, cancelledAtMs: number): Promise<void> {
    await trx('dp_early_cancellations').insert({ reservation_id: reservationId, cancelled_at_ms: cancelledAtMs }).onConflict('reservation_id').ignore();
  }

  /** Returns and forgets the cancellation noted before the reservation's confirmation arrived, if any. */
  async takeEarlyCancellation(trx: Transaction, reservationId: number): Promise<number | null> {
    const row = await this.selectEarlyCancellation.first(trx, { reservationId });
    if (!row) return null;
    await trx('dp_early_cancellations').where({ reservation_id: reservationId }).delete();
    return Number(row.cancelled_at_ms);
  }

  /** Records whose delivery is due: PENDING ones and the slow retries of FAILED ones. */
  async dueForDelivery(q: Db, nowMs: number, limit: number): Promise<ReservationRecord[]> {
    const rows: RecordRow[] = await q('dp_reservations as r')
      .leftJoin('dp_schedules as s', 's.schedule_id', 'r.schedule_id')
      .whereIn('r.delivery', UNDELIVERED_STATES)
      .andWhere('r.next_attempt_at_ms', '<=', nowMs)
      .orderBy('r.next_attempt_at_ms')
      .orderBy('r.id')
      .limit(limit)
      .select(RECORD_COLUMNS);
    return rows.map(fromRow);
  }

  /** Writes the outcome of one batch of POSTs (in one transaction, after the network calls). */
  async recordDeliveryResults(trx: Transaction, results: DeliveryResult[], nowMs: number): Promise<void> {
    for (const result of results) {
      const row = trx('dp_reservations').where({ reservation_id: result.reservationId }).whereIn('delivery', UNDELIVERED_STATES);
      if (result.outcome === 'DELIVERED') {
        await row.update({
          delivery: 'DELIVERED',
          delivery_attempts: trx.raw('delivery_attempts + 1'),
          delivered_at_ms: nowMs,
          next_attempt_at_ms: null,
          last_delivery_error: null,
        });
      } else {
        await row.update({
          delivery: result.outcome,
          delivery_attempts: trx.raw('delivery_attempts + 1'),
          next_attempt_at_ms: result.nextAttemptAtMs,
          last_delivery_error: result.error.slice(0, 1000),
        });
      }
    }
  }

  /** With a sink configured again, records stored while there was none are queued for it. */
  async queueUndelivered(trx: Transaction, nowMs: number): Promise<number> {
    return trx('dp_reservations').where({ delivery: 'DISABLED' }).update({ delivery: 'PENDING', next_attempt_at_ms: nowMs });
  }

  async countByDelivery(q: Db): Promise<Record<DeliveryState, number>> {
    const rows: Array<{ delivery: DeliveryState; n: number }> = await q('dp_reservations').select('delivery').count({ n: '*' }).groupBy('delivery');
    const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    for (const row of rows) counts[row.delivery] = Number(row.n);
    return counts;
  }

  /**
   * One page of the filtered feed, oldest confirmation first, with the count and sums of the
   * whole filtered set. Both reads take `trx`'s transaction so the page and the summary agree.
   */
  async list(trx: Transaction, filter: RecordFilter, page: number, pageSize: number): Promise<RecordPage> {
    const summary: { n: number; revenue: number | null } | undefined = await this.filtered(trx('dp_reservations as r'), filter)
      .select(trx.raw('count(*) as n'), trx.raw("sum(case when r.status = 'CONFIRMED' then r.amount else 0 end) as revenue"))
      .first();
    const total = Number(summary?.n ?? 0);
    const offset = (page - 1) * pageSize;
    const rows: RecordRow[] =
      total > offset
        ? await this.filtered(trx('dp_reservations as r'), filter)
            .leftJoin('dp_schedules as s', 's.schedule_id', 'r.schedule_id')
            .orderBy('r.confirmed_at_ms')
            .orderBy('r.reservation_id')
            .limit(pageSize)
            .offset(offset)
            .select(RECORD_COLUMNS)
        : [];
    return { records: rows.map(fromRow), total, revenue: Number(summary?.revenue ?? 0) };
  }

  private filtered(q: Knex.QueryBuilder, filter: RecordFilter): Knex.QueryBuilder {
    if (filter.concertId !== undefined) q.where('r.concert_id', filter.concertId);
    if (filter.scheduleId !== undefined) q.where('r.schedule_id', filter.scheduleId);
    if (filter.fromMs !== undefined) q.where('r.confirmed_at_ms', '>=', filter.fromMs);
    if (filter.toMs !== undefined) q.where('r.confirmed_at_ms', '<', filter.toMs);
    if (filter.status !== 'ALL') q.where('r.status', filter.status);
    if (filter.delivery !== undefined) q.where('r.delivery', filter.delivery);
    return q;
  }
}
