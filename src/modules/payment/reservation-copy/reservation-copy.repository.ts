import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';

export type CopyStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';

export interface ReservationCopy {
  reservationId: number;
  userId: number;
  /** Null while only a later event (expiry, cancellation) has arrived, not the hold itself. */
  amount: number | null;
  expiresAtMs: number | null;
  status: CopyStatus;
}

interface CopyRow {
  reservation_id: number;
  user_id: number;
  amount: number | null;
  expires_at_ms: number | null;
  status: CopyStatus;
}

/** Which status an event may move a copy from, so events arriving out of order cannot undo a later state. */
const ALLOWED_FROM: Record<Exclude<CopyStatus, 'HELD'>, CopyStatus[]> = {
  CONFIRMED: ['HELD'],
  EXPIRED: ['HELD'],
  CANCELLED: ['HELD', 'CONFIRMED'],
};

/**
 * The payment module's own copy of reservations (owner, amount, expiry, status), fed by the
 * reservation events: enough to decide whether a reservation is payable without asking anyone.
 */
@injectable()
export class ReservationCopyRepository {
  constructor(@inject(PLATFORM.Clock) private readonly clock: Clock) {}

  async find(trx: Transaction, reservationId: number): Promise<ReservationCopy | null> {
    const row: CopyRow | undefined = await trx('reservation_copies').where({ reservation_id: reservationId }).first();
    return row
      ? { reservationId: row.reservation_id, userId: row.user_id, amount: row.amount === null ? null : Number(row.amount), expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms), status: row.status }
      : null;
  }

  /** The hold: fills in owner, amount and expiry; a copy already moved on by a later event keeps its status. */
  async held(trx: Transaction, c: { reservationId: number; userId: number; amount: number; expiresAtMs: number }): Promise<void> {
    await trx('reservation_copies')
      .insert({ reservation_id: c.reservationId, user_id: c.userId, amount: c.amount, expires_at_ms: c.expiresAtMs, status: 'HELD', updated_at_ms: this.clock.now() })
      .onConflict('reservation_id')
      .merge(['user_id', 'amount', 'expires_at_ms']);
  }

  async moveTo(trx: Transaction, reservationId: number, userId: number, status: Exclude<CopyStatus, 'HELD'>): Promise<void> {
    const now = this.clock.now();
    await trx('reservation_copies')
      .insert({ reservation_id: reservationId, user_id: userId, amount: null, expires_at_ms: null, status, updated_at_ms: now })
      .onConflict('reservation_id')
      .merge({ status, updated_at_ms: now })
      .whereIn('reservation_copies.status', ALLOWED_FROM[status]);
  }
}
