import { inject, injectable } from 'inversify';
import type { EventPayload } from '../../../contracts/events';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { SeatClaim } from '../domain/seat-claim';

export interface CatalogueSeat {
  concertId: number;
  scheduleId: number;
  seatId: number;
  label: string;
  price: number;
}

const CHUNK = 500;

interface SeatForHoldRow {
  concertId: number;
  label: string;
  price: number;
  claimReservationId: number | null;
  claimStatus: SeatClaim['status'];
  claimExpiresAtMs: number | null;
  liveHoldsOfUser: number;
}

/** The module's own copy of the catalogue (schedules, seats, prices), fed by concert events. */
@injectable()
export class CatalogueRepository {
  private readonly seatForHold;

  constructor(@inject(PLATFORM.Database) db: ModuleDatabase) {
    // Run by every hold: compiled once (see PreparedStatement).
    this.seatForHold = db.prepare<{ scheduleId: number; seatId: number; userId: number; nowMs: number }, SeatForHoldRow>((k, p) =>
      k('catalogue_seats as s')
        .join('catalogue_schedules as sc', 'sc.schedule_id', 's.schedule_id')
        .leftJoin('seat_claims as c', function joinClaim() {
          this.on('c.schedule_id', '=', 's.schedule_id').andOn('c.seat_id', '=', 's.seat_id');
        })
        .where({ 's.schedule_id': p('scheduleId'), 's.seat_id': p('seatId') })
        .first(
          'sc.concert_id as concertId',
          's.label as label',
          's.price as price',
          'c.reservation_id as claimReservationId',
          'c.status as claimStatus',
          'c.expires_at_ms as claimExpiresAtMs',
          // The user's holds whose time is not up. A hold in its payment grace is not counted: it is no
          // longer the user's to pay (only a payment made before its expiry can still confirm it), so
          // it must not stop them holding another seat. Its claim still blocks its own seat (checkSeatCanBeHeld).
          // Only user_id is in the WHERE, the rest in a FILTER: PostgreSQL's plan, made once per
          // connection while the table is small, could otherwise read the due-for-expiry index
          // (status, expires_at_ms), that is every live hold of everyone, on each hold.
          k('reservations')
            .where({ user_id: p('userId') })
            .select(k.raw('count(*) filter (where status = ? and expires_at_ms > ?)', ['HELD', p('nowMs')]))
            .as('liveHoldsOfUser'),
        ),
    );
  }

  /** The hold's statement as compiled (for the test of its PostgreSQL plan). */
  get seatForHoldSql(): string {
    return this.seatForHold.sql;
  }

  /**
   * Everything a hold decides on, in one statement (the hold's hot path): the seat, its current
   * claim if any (whatever its time: `checkSeatCanBeHeld` judges it, with the payment grace), and
   * how many live holds the user has (by the reservations_live_by_user index).
   */
  async findSeatForHold(
    trx: Transaction,
    scheduleId: number,
    seatId: number,
    userId: number,
    nowMs: number,
  ): Promise<{ seat: CatalogueSeat; claim: SeatClaim | null; liveHoldsOfUser: number } | null> {
    const row = await this.seatForHold.first(trx, { scheduleId, seatId, userId, nowMs });
    if (!row) return null;
    const seat = { concertId: row.concertId, scheduleId, seatId, label: row.label, price: row.price };
    const claim: SeatClaim | null =
      row.claimReservationId == null
        ? null
        : {
            scheduleId,
            seatId,
            reservationId: row.claimReservationId,
            status: row.claimStatus,
            expiresAtMs: row.claimExpiresAtMs == null ? null : Number(row.claimExpiresAtMs),
          };
    return { seat, claim, liveHoldsOfUser: Number(row.liveHoldsOfUser) };
  }

  /** The concert of a schedule (null: not in the copy): what a queue pass must be for. */
  async concertOfSchedule(q: Db, scheduleId: number): Promise<number | null> {
    const row: { concert_id: number } | undefined = await q('catalogue_schedules').where({ schedule_id: scheduleId }).first('concert_id');
    return row?.concert_id ?? null;
  }

  async scheduleExists(trx: Transaction, scheduleId: number): Promise<boolean> {
    return Boolean(await trx('catalogue_schedules').where({ schedule_id: scheduleId }).first('schedule_id'));
  }

  /** Idempotent: a republished schedule replaces its copy (seats no longer listed are dropped). */
  async upsertSchedule(trx: Transaction, s: EventPayload<'concert.schedule.published'>, nowMs: number): Promise<void> {
    await trx('catalogue_schedules')
      .insert({
        schedule_id: s.scheduleId,
        concert_id: s.concertId,
        title: s.title,
        artist: s.artist,
        venue: s.venue,
        starts_at: s.startsAt,
        updated_at_ms: nowMs,
      })
      .onConflict('schedule_id')
      .merge();
    const rows = s.seats.map((seat) => ({ schedule_id: s.scheduleId, seat_id: seat.seatId, label: seat.label, price: seat.price }));
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx('catalogue_seats')
        .insert(rows.slice(i, i + CHUNK))
        .onConflict(['schedule_id', 'seat_id'])
        .merge(['label', 'price']);
    }
    const listed = new Set(s.seats.map((seat) => seat.seatId));
    const existing: Array<{ seat_id: number }> = await trx('catalogue_seats').where({ schedule_id: s.scheduleId }).select('seat_id');
    const dropped = existing.map((r) => r.seat_id).filter((id) => !listed.has(id));
    for (let i = 0; i < dropped.length; i += CHUNK) {
      await trx('catalogue_seats')
        .where({ schedule_id: s.scheduleId })
        .whereIn('seat_id', dropped.slice(i, i + CHUNK))
        .delete();
    }
  }
}
