import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type CopyStatus, MOVES_FROM, type MovedStatus, type ReservationCopy } from '../domain/reservation-copy';

interface CopyRow {
  reservation_id: number;
  user_id: number;
  concert_id: number | null;
  amount: number | null;
  expires_at_ms: number | null;
  status: CopyStatus;
}

/**
 * The payment module's own copy of reservations (owner, amount, expiry, status), fed by the
 * reservation events: enough to decide whether a reservation is payable without asking anyone.
 */
@injectable()
export class ReservationCopyRepository {
  // Every purchase reads and moves its copy: compiled once (see PreparedStatement).
  private readonly selectCopy;
  private readonly upsertHeld;
  private readonly upsertMoved;

  constructor(
    @inject(PLATFORM.Database) db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {
    this.selectCopy = db.prepare<{ reservationId: number }, CopyRow>((k, p) =>
      k('reservation_copies')
        .where({ reservation_id: p('reservationId') })
        .first(),
    );
    this.upsertHeld = db.prepare<{ reservationId: number; userId: number; concertId: number | null; amount: number; expiresAtMs: number; now: number }>(
      (k, p) =>
        k('reservation_copies')
          .insert({
            reservation_id: p('reservationId'),
            user_id: p('userId'),
            concert_id: p('concertId'),
            amount: p('amount'),
            expires_at_ms: p('expiresAtMs'),
            status: 'HELD',
            updated_at_ms: p('now'),
          })
          .onConflict('reservation_id')
          .merge(['user_id', 'concert_id', 'amount', 'expires_at_ms']),
    );
    this.upsertMoved = db.prepareEach<MovedStatus, { reservationId: number; userId: number; now: number }>((k, p, status) =>
      k('reservation_copies')
        .insert({ reservation_id: p('reservationId'), user_id: p('userId'), amount: null, expires_at_ms: null, status, updated_at_ms: p('now') })
        .onConflict('reservation_id')
        .merge({ status, updated_at_ms: p('now') })
        .whereIn('reservation_copies.status', [...MOVES_FROM[status]]),
    );
  }

  /** Whether this user's reservation has been copied yet (read outside a transaction too). */
  async ownedBy(q: Db, reservationId: number, userId: number): Promise<boolean> {
    return (await this.selectCopy.first(q, { reservationId }))?.user_id === userId;
  }

  async find(q: Db, reservationId: number): Promise<ReservationCopy | null> {
    const row = await this.selectCopy.first(q, { reservationId });
    return row
      ? {
          reservationId: row.reservation_id,
          userId: row.user_id,
          amount: row.amount === null ? null : Number(row.amount),
          expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
          status: row.status,
        }
      : null;
  }

  /** The hold: fills in owner, amount and expiry; a copy already moved on by a later event keeps its status. */
  async held(trx: Transaction, c: { reservationId: number; userId: number; concertId: number | null; amount: number; expiresAtMs: number }): Promise<void> {
    this.upsertHeld.defer(trx, {
      reservationId: c.reservationId,
      userId: c.userId,
      concertId: c.concertId,
      amount: c.amount,
      expiresAtMs: c.expiresAtMs,
      now: this.clock.now(),
    });
  }

  /** The concert of this user's reservation, once its hold has been copied (null: not yet, not theirs, or copied before concerts were). */
  async concertOf(q: Db, reservationId: number, userId: number): Promise<number | null> {
    const row = await this.selectCopy.first(q, { reservationId });
    return row && row.user_id === userId ? (row.concert_id ?? null) : null;
  }

  async moveTo(trx: Transaction, reservationId: number, userId: number, status: MovedStatus): Promise<void> {
    this.upsertMoved.for(status).defer(trx, { reservationId, userId, now: this.clock.now() });
  }
}
