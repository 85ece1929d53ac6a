import { inject, injectable } from 'inversify';
import type { Changes } from '../../../platform/bus/changes';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { effectiveStatus, iso, Reservation } from '../domain/reservation.aggregate';
import type { ReservationEventData, ReservationEventType, ReservationStatus, StoredEvent } from '../domain/reservation.events';
import type { ReservationView } from '../domain/reservation.view';
import { ConcurrencyError, isUniqueViolation } from './optimistic-concurrency';

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

/** What the API shows of a read-model row (the same as `viewFromAggregate` of its stream). */
export function viewFromRow(row: ReservationRow, nowMs: number): ReservationView {
  return {
    id: row.id,
    // A hold whose time is up reads EXPIRED at once, before the sweeper records it.
    status: effectiveStatus(row.status, Number(row.expires_at_ms), nowMs),
    userId: row.user_id,
    concertId: row.concert_id,
    scheduleId: row.schedule_id,
    seatId: row.seat_id,
    seatLabel: row.seat_label,
    price: row.price,
    expiresAt: iso(Number(row.expires_at_ms)),
    paymentId: row.payment_id ?? null,
    confirmedAt: row.confirmed_at_ms == null ? null : iso(Number(row.confirmed_at_ms)),
    createdAt: iso(Number(row.created_at_ms)),
  };
}

interface EventRow {
  reservation_id: number;
  version: number;
  type: ReservationEventType;
  data: string;
  occurred_at_ms: number;
}

const fromEventRow = (row: EventRow): StoredEvent =>
  ({
    type: row.type,
    data: JSON.parse(row.data),
    reservationId: row.reservation_id,
    version: row.version,
    occurredAtMs: Number(row.occurred_at_ms),
  }) as StoredEvent;

/**
 * The event store and the read model. An append inserts the pending events at the versions
 * after the one the aggregate was loaded at; the unique (reservation_id, version) makes a
 * concurrent append at the same version fail with ConcurrencyError. The read model row is
 * updated in the same transaction, so it is always the state at its `version`.
 */
@injectable()
export class ReservationRepository {
  // The statements of every hold, confirmation and read, compiled once (see PreparedStatement).
  private readonly insertHeld;
  private readonly insertEvent;
  private readonly selectStream;
  private readonly updateReadModel;
  private readonly selectRow;

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
  ) {
    this.insertHeld = db.prepare<
      { userId: number; concertId: number; scheduleId: number; seatId: number; seatLabel: string; price: number; expiresAtMs: number; nowMs: number },
      { id: number }
    >((k, p) =>
      k('reservations')
        .insert({
          user_id: p('userId'),
          concert_id: p('concertId'),
          schedule_id: p('scheduleId'),
          seat_id: p('seatId'),
          seat_label: p('seatLabel'),
          price: p('price'),
          status: 'HELD',
          expires_at_ms: p('expiresAtMs'),
          payment_id: null,
          confirmed_at_ms: null,
          cancelled_at_ms: null,
          created_at_ms: p('nowMs'),
          updated_at_ms: p('nowMs'),
          version: 1,
        })
        .returning('id'),
    );
    this.insertEvent = db.prepare<{ reservationId: number; version: number; type: string; data: string; occurredAtMs: number }>((k, p) =>
      k('reservation_events').insert({
        reservation_id: p('reservationId'),
        version: p('version'),
        type: p('type'),
        data: p('data'),
        occurred_at_ms: p('occurredAtMs'),
      }),
    );
    this.selectStream = db.prepare<{ reservationId: number }, EventRow>((k, p) =>
      k('reservation_events')
        .where({ reservation_id: p('reservationId') })
        .orderBy('version'),
    );
    this.updateReadModel = db.prepare<{
      reservationId: number;
      expectedVersion: number;
      status: string;
      paymentId: number | null;
      confirmedAtMs: number | null;
      cancelledAtMs: number | null;
      nowMs: number;
      newVersion: number;
    }>((k, p) =>
      k('reservations')
        .where({ id: p('reservationId'), version: p('expectedVersion') })
        .update({
          status: p('status'),
          payment_id: p('paymentId'),
          confirmed_at_ms: p('confirmedAtMs'),
          cancelled_at_ms: p('cancelledAtMs'),
          updated_at_ms: p('nowMs'),
          version: p('newVersion'),
        }),
    );
    this.selectRow = db.prepare<{ reservationId: number }, ReservationRow>((k, p) =>
      k('reservations')
        .where({ id: p('reservationId') })
        .first(),
    );
  }

  /** A new hold: allocates its id with the read-model row and appends `HoldPlaced` as version 1. */
  async create(trx: Transaction, data: Omit<ReservationEventData['HoldPlaced'], 'expiresAt'>, nowMs: number, ttlMs: number): Promise<Reservation> {
    const [{ id }] = await this.insertHeld.all(trx, {
      userId: data.userId,
      concertId: data.concertId,
      scheduleId: data.scheduleId,
      seatId: data.seatId,
      seatLabel: data.seatLabel,
      price: data.price,
      expiresAtMs: nowMs + ttlMs,
      nowMs,
    });
    const reservation = Reservation.place(id, data, nowMs, ttlMs);
    // The stream is new (its id was just allocated): no one else can append to it, so nothing to wait for.
    for (const e of reservation.pendingEvents)
      this.insertEvent.defer(trx, { reservationId: id, version: e.version, type: e.type, data: JSON.stringify(e.data), occurredAtMs: e.occurredAtMs });
    reservation.markCommitted();
    this.announceAfterCommit(trx, id);
    return reservation;
  }

  async load(q: Db, id: number): Promise<Reservation | null> {
    const rows = await this.selectStream.all(q, { reservationId: id });
    return rows.length === 0 ? null : Reservation.fromHistory(id, rows.map(fromEventRow));
  }

  /** Loads several streams with one query (the sweeper's batches). */
  async loadMany(trx: Transaction, ids: number[]): Promise<Reservation[]> {
    if (ids.length === 0) return [];
    const rows: EventRow[] = await trx('reservation_events')
      .whereIn('reservation_id', ids)
      .orderBy([{ column: 'reservation_id' }, { column: 'version' }]);
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
    const s = reservation.state;
    const updated = await this.updateReadModel.run(trx, {
      reservationId: reservation.id,
      expectedVersion: expected,
      status: s.status,
      paymentId: s.paymentId,
      confirmedAtMs: s.confirmedAtMs,
      cancelledAtMs: s.cancelledAtMs,
      nowMs,
      newVersion: reservation.version,
    });
    if (updated !== 1) throw new ConcurrencyError(reservation.id, expected);
    reservation.markCommitted();
    this.announceAfterCommit(trx, reservation.id);
  }

  /** Readers waiting on this reservation look again once the transaction has ended. */
  private announceAfterCommit(trx: Transaction, id: number): void {
    this.db.afterTransaction(trx, () => this.changes.notify('reservation', id));
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
      if (rows.length === 1) {
        const [r] = rows;
        await this.insertEvent.run(trx, { reservationId: r.reservation_id, version: r.version, type: r.type, data: r.data, occurredAtMs: r.occurred_at_ms });
      } else await trx('reservation_events').insert(rows);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConcurrencyError(reservationId, expectedVersion);
      throw err;
    }
  }

  async history(q: Db, id: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await q('reservation_events').where({ reservation_id: id }).orderBy('version');
    return rows.map(fromEventRow);
  }

  async findRow(q: Db, id: number): Promise<ReservationRow | null> {
    return (await this.selectRow.first(q, { reservationId: id })) ?? null;
  }

  async listByUser(q: Db, userId: number, limit: number, beforeId?: number): Promise<ReservationRow[]> {
    const query = q('reservations').where({ user_id: userId });
    if (beforeId !== undefined) query.andWhere('id', '<', beforeId);
    return query.orderBy('id', 'desc').limit(limit);
  }

  async countAllLiveHolds(q: Db, nowMs: number): Promise<number> {
    const row = await q('reservations').where({ status: 'HELD' }).andWhere('expires_at_ms', '>', nowMs).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /**
   * Ids of holds that expired at or before `expiredByMs` but whose expiry is not recorded yet,
   * oldest first (indexed). The sweeper passes now minus the payment grace.
   */
  async dueForExpiry(trx: Transaction, expiredByMs: number, limit: number): Promise<number[]> {
    const rows: Array<{ id: number }> = await trx('reservations')
      .where({ status: 'HELD' })
      .andWhere('expires_at_ms', '<=', expiredByMs)
      .orderBy('expires_at_ms')
      .limit(limit)
      .select('id');
    return rows.map((r) => r.id);
  }
}
