import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type CopyStatus, MOVES_FROM, type MovedStatus, type ReservationCopy } from '../domain/reservation-copy';

interface CopyRow {
  reservation_id: number;
  user_id: number;
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
    this.selectCopy = db.prepare<[number], CopyRow>((k, p) =>
      k('reservation_copies')
        .where({ reservation_id: p(0) })
        .first(),
    );
    this.upsertHeld = db.prepare<[number, number, number, number, number]>((k, p) =>
      k('reservation_copies')
        .insert({ reservation_id: p(0), user_id: p(1), amount: p(2), expires_at_ms: p(3), status: 'HELD', updated_at_ms: p(4) })
        .onConflict('reservation_id')
        .merge(['user_id', 'amount', 'expires_at_ms']),
    );
    this.upsertMoved = db.prepareEach<MovedStatus, [number, number, number]>((k, p, status) =>
      k('reservation_copies')
        .insert({ reservation_id: p(0), user_id: p(1), amount: null, expires_at_ms: null, status, updated_at_ms: p(2) })
        .onConflict('reservation_id')
        .merge({ status, updated_at_ms: p(2) })
        .whereIn('reservation_copies.status', [...MOVES_FROM[status]]),
    );
  }

  /** Whether this user's reservation has been copied yet (read outside a transaction too). */
  async ownedBy(q: Db | Transaction, reservationId: number, userId: number): Promise<boolean> {
    return (await this.selectCopy.first(q, reservationId))?.user_id === userId;
  }

  async find(trx: Transaction, reservationId: number): Promise<ReservationCopy | null> {
    const row = await this.selectCopy.first(trx, reservationId);
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
  async held(trx: Transaction, c: { reservationId: number; userId: number; amount: number; expiresAtMs: number }): Promise<void> {
    await this.upsertHeld.run(trx, c.reservationId, c.userId, c.amount, c.expiresAtMs, this.clock.now());
  }

  async moveTo(trx: Transaction, reservationId: number, userId: number, status: MovedStatus): Promise<void> {
    await this.upsertMoved.for(status).run(trx, reservationId, userId, this.clock.now());
  }
}
