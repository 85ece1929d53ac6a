import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { alreadyPaid, type PayOutcome, payRefusal } from '../../domain/payment';
import { LedgerRepository } from '../../infrastructure/ledger.repository';
import { PaymentRepository } from '../../infrastructure/payment.repository';

export interface PayCommand {
  reservationId: number;
  userId: number;
  amount: number;
  /** The orchestrated saga asking, or null for the choreography (`/payments/process`). */
  sagaId: string | null;
}

/**
 * Paying for a reservation, inside the caller's transaction: refuse if it is already paid or the
 * balance is short (nothing written), else record the payment, debit the ledger and publish
 * `payment.success`, all in that one transaction. Both sagas pay through here.
 */
@injectable()
export class PayReservation {
  constructor(
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @inject(PaymentRepository) private readonly payments: PaymentRepository,
  ) {}

  async pay(trx: Transaction, cmd: PayCommand): Promise<PayOutcome> {
    const paid = await this.payments.findByReservation(trx, cmd.reservationId);
    // An already paid reservation is refused whatever the balance: no need to read it.
    const balance = paid ? 0 : await this.ledger.balance(trx, cmd.userId);
    const refusal = payRefusal(cmd.reservationId, paid !== null, balance, cmd.amount);
    if (refusal) return refusal;
    // The unique reservation_id is the final guard against a second payment.
    const paymentId = await this.payments.insert(trx, cmd, this.clock.now());
    if (paymentId === null) return alreadyPaid(cmd.reservationId);
    let balanceAfter = balance;
    if (cmd.amount > 0) {
      const posted = await this.ledger.debit(trx, cmd.userId, cmd.amount, { reservationId: cmd.reservationId, paymentId });
      // The guard of the balance invariant, unreachable on both backends: on SQLite this work runs
      // alone on the only writer; on PostgreSQL the balance read and this update share one snapshot,
      // so an account changed meanwhile fails the update as a serialization failure (retried by the
      // kernel, which re-reads the balance: paid or 402) instead of matching no row. Throwing rolls
      // the payment back.
      if (!posted) throw new Error(`Balance of user ${cmd.userId} changed while paying reservation ${cmd.reservationId}`);
      balanceAfter = posted.balance;
    }
    await this.outbox.publish(trx, 'payment.success', cmd.reservationId, {
      paymentId,
      reservationId: cmd.reservationId,
      userId: cmd.userId,
      amount: cmd.amount,
      sagaId: cmd.sagaId,
    });
    return { ok: true, paymentId, reservationId: cmd.reservationId, amount: cmd.amount, balance: balanceAfter };
  }
}
