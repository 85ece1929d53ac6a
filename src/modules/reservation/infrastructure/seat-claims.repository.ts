import { injectable } from 'inversify';
import type { Transaction } from '../../../platform/db/module-database';
import { errors } from '../../../platform/http/app-error';
import { isUniqueViolation } from './optimistic-concurrency';

export interface SeatClaim {
  scheduleId: number;
  seatId: number;
  reservationId: number;
  status: 'HELD' | 'CONFIRMED';
  expiresAtMs: number | null;
}

export const seatUnavailable = () => errors.conflict('SEAT_UNAVAILABLE', 'Seat unavailable', 'This seat is held or sold.');

/**
 * One row per seat that is held or sold: the primary key (schedule_id, seat_id) is the final
 * guard that a seat never has two live claims, whatever the concurrency.
 */
@injectable()
export class SeatClaimRepository {
  /** Takes a free seat; a concurrent taker (another process) makes this fail with SEAT_UNAVAILABLE. */
  async claim(trx: Transaction, scheduleId: number, seatId: number, reservationId: number, expiresAtMs: number): Promise<void> {
    try {
      await trx('seat_claims').insert({ schedule_id: scheduleId, seat_id: seatId, reservation_id: reservationId, status: 'HELD', expires_at_ms: expiresAtMs });
    } catch (err) {
      if (isUniqueViolation(err)) throw seatUnavailable();
      throw err;
    }
  }

  async confirm(trx: Transaction, reservationId: number): Promise<number> {
    return trx('seat_claims').where({ reservation_id: reservationId }).update({ status: 'CONFIRMED', expires_at_ms: null });
  }

  async release(trx: Transaction, reservationIds: number[]): Promise<void> {
    if (reservationIds.length > 0) await trx('seat_claims').whereIn('reservation_id', reservationIds).delete();
  }
}
