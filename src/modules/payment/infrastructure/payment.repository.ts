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

  constructor(@inject(PLATFORM.Database) private readonly db: ModuleDatabase) {
    this.selectByReservation = db.prepare<[number], PaymentRow>((k, p) =>
      k('payments')
        .where({ reservation_id: p(0) })
        .first(),
    );
    this.insertPaid = db.prepare<[number, number, number, string | null, number], { id: number }>((k, p) =>
      k('payments')
        .insert({ reservation_id: p(0), user_id: p(1), amount: p(2), status: 'PAID', saga_id: p(3), created_at_ms: p(4) })
        .onConflict('reservation_id')
        .ignore()
        .returning('id'),
    );
  }

  async findById(id: number, q: Db | Transaction = this.db.knex): Promise<Payment | null> {
    const row: PaymentRow | undefined = await q('payments').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async findByReservation(reservationId: number, q: Db | Transaction = this.db.knex): Promise<Payment | null> {
    const row = await this.selectByReservation.first(q, reservationId);
    return row ? fromRow(row) : null;
  }

  /** Null when the reservation already has a payment: the unique index decides, so races are safe. */
  async insert(trx: Transaction, p: { reservationId: number; userId: number; amount: number; sagaId: string | null }, now: number): Promise<number | null> {
    const inserted = await this.insertPaid.all(trx, p.reservationId, p.userId, p.amount, p.sagaId, now);
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
