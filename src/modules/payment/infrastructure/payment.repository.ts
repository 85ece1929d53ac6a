import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { Payment, PaymentStatus } from '../domain/payment';

interface PaymentRow {
  id: number;
  reservation_id: number;
  user_id: number;
  amount: number;
  status: PaymentStatus;
  saga_id: string | null;
  refund_reason: string | null;
  created_at_ms: number;
}

const fromRow = (r: PaymentRow): Payment => ({
  id: r.id,
  reservationId: r.reservation_id,
  userId: r.user_id,
  amount: Number(r.amount),
  status: r.status,
  sagaId: r.saga_id,
  refundReason: r.refund_reason,
  createdAtMs: Number(r.created_at_ms),
});

@injectable()
export class PaymentRepository {
  // Every payment: compiled once (see PreparedStatement).
  private readonly selectByReservation;
  private readonly insertPaid;

  constructor(@inject(PLATFORM.Database) db: ModuleDatabase) {
    this.selectByReservation = db.prepare<{ reservationId: number }, PaymentRow>((k, p) =>
      k('payments')
        .where({ reservation_id: p('reservationId') })
        .first(),
    );
    this.insertPaid = db.prepare<{ reservationId: number; userId: number; amount: number; sagaId: string | null; now: number }, { id: number }>((k, p) =>
      k('payments')
        .insert({
          reservation_id: p('reservationId'),
          user_id: p('userId'),
          amount: p('amount'),
          status: 'PAID',
          saga_id: p('sagaId'),
          created_at_ms: p('now'),
        })
        .onConflict('reservation_id')
        .ignore()
        .returning('id'),
    );
  }

  async findById(q: Db, id: number): Promise<Payment | null> {
    const row: PaymentRow | undefined = await q('payments').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async findByReservation(q: Db, reservationId: number): Promise<Payment | null> {
    const row = await this.selectByReservation.first(q, { reservationId });
    return row ? fromRow(row) : null;
  }

  /** Null when the reservation already has a payment: the unique index decides, so races are safe. */
  async insert(trx: Transaction, p: { reservationId: number; userId: number; amount: number; sagaId: string | null }, now: number): Promise<number | null> {
    const inserted = await this.insertPaid.all(trx, { reservationId: p.reservationId, userId: p.userId, amount: p.amount, sagaId: p.sagaId, now });
    return inserted.length === 0 ? null : inserted[0].id;
  }

  /** PAID → REFUNDED; false if it was not PAID (a refund happens at most once). */
  async markRefunded(trx: Transaction, id: number, reason: string, now: number): Promise<boolean> {
    const n = await trx('payments')
      .where({ id, status: 'PAID' })
      .update({ status: 'REFUNDED', refund_reason: reason.slice(0, 500), refunded_at_ms: now });
    return n === 1;
  }
}
