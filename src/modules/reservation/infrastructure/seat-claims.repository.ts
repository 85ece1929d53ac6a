import { inject, injectable } from 'inversify';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { ReservationErrors } from '../reservation.errors';
import { isUniqueViolation } from './optimistic-concurrency';

/**
 * One row per seat that is held or sold: the primary key (schedule_id, seat_id) is the final
 * guard that a seat never has two live claims, whatever the concurrency.
 */
@injectable()
export class SeatClaimRepository {
  // Every hold and confirmation: compiled once (see PreparedStatement).
  private readonly insertHeld;
  private readonly markConfirmed;

  constructor(@inject(PLATFORM.Database) db: ModuleDatabase) {
    this.insertHeld = db.prepare<{ scheduleId: number; seatId: number; reservationId: number; expiresAtMs: number }>((k, p) =>
      k('seat_claims').insert({
        schedule_id: p('scheduleId'),
        seat_id: p('seatId'),
        reservation_id: p('reservationId'),
        status: 'HELD',
        expires_at_ms: p('expiresAtMs'),
      }),
    );
    this.markConfirmed = db.prepare<{ reservationId: number }>((k, p) =>
      k('seat_claims')
        .where({ reservation_id: p('reservationId') })
        .update({ status: 'CONFIRMED', expires_at_ms: null }),
    );
  }

  /** Takes a free seat; a concurrent taker (another process) makes this fail with SEAT_UNAVAILABLE. */
  async claim(trx: Transaction, scheduleId: number, seatId: number, reservationId: number, expiresAtMs: number): Promise<void> {
    try {
      await this.insertHeld.run(trx, { scheduleId, seatId, reservationId, expiresAtMs });
    } catch (err) {
      if (isUniqueViolation(err)) throw ReservationErrors.seatUnavailable();
      throw err;
    }
  }

  async confirm(trx: Transaction, reservationId: number): Promise<number> {
    return this.markConfirmed.run(trx, { reservationId });
  }

  async release(trx: Transaction, reservationIds: number[]): Promise<void> {
    if (reservationIds.length > 0) await trx('seat_claims').whereIn('reservation_id', reservationIds).delete();
  }
}
