import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { Reservation, type ReservationState } from '../domain/reservation.aggregate';
import type { ReservationEventData, ReservationEventType, ReservationStatus, StoredEvent } from '../domain/reservation.events';
import { RESERVATION } from '../reservation.di-tokens';
import { ConcurrencyError, isUniqueViolation } from './optimistic-concurrency';
import type { ReservationChanges } from './reservation-changes';

export interface ReservationRow {
  id: number;
  user_id: number;
  concert_id: number;
  schedule_id: number;
  seat_id: number;
  seat_label: string;
  price: number;
  status: ReservationStatus;
  expires_at_ms: number;
  payment_id: number | null;
  confirmed_at_ms: number | null;
  cancelled_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
}

interface EventRow {
  reservation_id: number;
  version: number;
  type: ReservationEventType;
  data: string;
  occurred_at_ms: number;
}

const fromEventRow = (row: EventRow): StoredEvent =>
  ({ type: row.type, data: JSON.parse(row.data), reservationId: row.reservation_id, version: row.version, occurredAtMs: Number(row.occurred_at_ms) }) as StoredEvent;

function readModelColumns(state: ReservationState, version: number, nowMs: number) {
  return {
    status: state.status,
    payment_id: state.paymentId,
    confirmed_at_ms: state.confirmedAtMs,
    cancelled_at_ms: state.cancelledAtMs,
    updated_at_ms: nowMs,
    version,
  };
}

/**
 * The event store and the read model. An append inserts the pending events at the versions
 * after the one the aggregate was loaded at; the unique (reservation_id, version) makes a
 * concurrent append at the same version fail with ConcurrencyError. The read model row is
 * updated in the same transaction, so it is always the state at its `version`.
 */
@injectable()
export class ReservationRepository {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(RESERVATION.Changes) private readonly changes: ReservationChanges,
  ) {}

  /** A new hold: allocates its id with the read-model row and appends `HoldPlaced` as version 1. */
  async create(trx: Transaction, data: Omit<ReservationEventData['HoldPlaced'], 'expiresAt'>, nowMs: number, ttlMs: number): Promise<Reservation> {
    const [inserted] = await trx('reservations')
      .insert({
        user_id: data.userId,
        concert_id: data.concertId,
        schedule_id: data.scheduleId,
        seat_id: data.seatId,
        seat_label: data.seatLabel,
        price: data.price,
        status: 'HELD',
        expires_at_ms: nowMs + ttlMs,
        payment_id: null,
        confirmed_at_ms: null,
        cancelled_at_ms: null,
        created_at_ms: nowMs,
        updated_at_ms: nowMs,
        version: 1,
      })
      .returning('id');
    const id = typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
    const reservation = Reservation.place(id, data, nowMs, ttlMs);
    await this.appendEvents(trx, id, 0, reservation.pendingEvents);
    reservation.markCommitted();
    this.announceAfterCommit(id);
    return reservation;
  }

  async load(q: Db | Transaction, id: number): Promise<Reservation | null> {
    const rows: EventRow[] = await q('reservation_events').where({ reservation_id: id }).orderBy('version');
    return rows.length === 0 ? null : Reservation.fromHistory(id, rows.map(fromEventRow));
  }

  /** Loads several streams with one query (the sweeper's batches). */
  async loadMany(trx: Transaction, ids: number[]): Promise<Reservation[]> {
    if (ids.length === 0) return [];
    const rows: EventRow[] = await trx('reservation_events').whereIn('reservation_id', ids).orderBy([{ column: 'reservation_id' }, { column: 'version' }]);
    const streams = new Map<number, StoredEvent[]>();
    for (const row of rows) {
      const list = streams.get(row.reservation_id) ?? [];
      list.push(fromEventRow(row));
      streams.set(row.reservation_id, list);
    }
    return [...streams.entries()].map(([id, events]) => Reservation.fromHistory(id, events));
  }

  /** Appends the aggregate's pending events and updates the read model, or fails on a concurrent change. */
  async save(trx: Transaction, reservation: Reservation, nowMs: number): Promise<void> {
    const pending = reservation.pendingEvents;
    if (pending.length === 0) return;
    const expected = reservation.expectedVersion;
    await this.appendEvents(trx, reservation.id, expected, pending);
    const updated = await trx('reservations').where({ id: reservation.id, version: expected }).update(readModelColumns(reservation.state, reservation.version, nowMs));
    if (updated !== 1) throw new ConcurrencyError(reservation.id, expected);
    reservation.markCommitted();
    this.announceAfterCommit(reservation.id);
  }

  /** Readers waiting on this reservation look again once the transaction has ended. */
  private announceAfterCommit(id: number): void {
    this.db.afterTransaction(() => this.changes.notify(id));
  }

  /**
   * The event store's append: events must follow `expectedVersion` without gaps; if any of
   * those versions exists already, nothing is written and ConcurrencyError is thrown.
   */
  async appendEvents(trx: Transaction, reservationId: number, expectedVersion: number, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e, i) => {
      if (e.version !== expectedVersion + i + 1) throw new Error(`Event version ${e.version} does not follow ${expectedVersion + i}`);
      return { reservation_id: reservationId, version: e.version, type: e.type, data: JSON.stringify(e.data), occurred_at_ms: e.occurredAtMs };
    });
    try {
      await trx('reservation_events').insert(rows);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConcurrencyError(reservationId, expectedVersion);
      throw err;
    }
  }

  async history(id: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.db.knex('reservation_events').where({ reservation_id: id }).orderBy('version');
    return rows.map(fromEventRow);
  }

  async findRow(id: number, q: Db | Transaction = this.db.knex): Promise<ReservationRow | null> {
    const row: ReservationRow | undefined = await q('reservations').where({ id }).first();
    return row ?? null;
  }

  async listByUser(userId: number, limit: number, beforeId?: number): Promise<ReservationRow[]> {
    const q = this.db.knex('reservations').where({ user_id: userId });
    if (beforeId !== undefined) q.andWhere('id', '<', beforeId);
    return q.orderBy('id', 'desc').limit(limit);
  }

  async countAllLiveHolds(nowMs: number): Promise<number> {
    const row = await this.db.knex('reservations').where({ status: 'HELD' }).andWhere('expires_at_ms', '>', nowMs).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** Ids of holds whose time is up but whose expiry is not recorded yet, oldest first (indexed). */
  async dueForExpiry(trx: Transaction, nowMs: number, limit: number): Promise<number[]> {
    const rows: Array<{ id: number }> = await trx('reservations').where({ status: 'HELD' }).andWhere('expires_at_ms', '<=', nowMs).orderBy('expires_at_ms').limit(limit).select('id');
    return rows.map((r) => r.id);
  }
}
