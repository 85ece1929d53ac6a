import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../platform/bus/outbox';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { LedgerRepository } from '../ledger/ledger.repository';
import { PAYMENT } from '../payment.di-tokens';
import type { PaymentRepository } from './payment.repository';

export interface PayCommand {
  reservationId: number;
  userId: number;
  amount: number;
  /** The orchestrated saga asking, or null for the choreography (`/payments/process`). */
  sagaId: string | null;
}

export type PayOutcome =
  | { ok: true; paymentId: number; reservationId: number; amount: number; balance: number }
  | { ok: false; reason: 'RESERVATION_NOT_PAYABLE'; detail: string }
  | { ok: false; reason: 'INSUFFICIENT_BALANCE'; detail: string; balance: number; amount: number };

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
    @inject(PAYMENT.Ledger) private readonly ledger: LedgerRepository,
    @inject(PAYMENT.Payments) private readonly payments: PaymentRepository,
  ) {}

  async pay(trx: Transaction, cmd: PayCommand): Promise<PayOutcome> {
    const paid = await this.payments.findByReservation(cmd.reservationId, trx);
    if (paid) return { ok: false, reason: 'RESERVATION_NOT_PAYABLE', detail: `Reservation ${cmd.reservationId} is already paid.` };
    const balance = await this.ledger.balance(cmd.userId, trx);
    if (balance < cmd.amount) {
      return { ok: false, reason: 'INSUFFICIENT_BALANCE', detail: `The payment needs ${cmd.amount} points; the balance is ${balance}.`, balance, amount: cmd.amount };
    }
    // The unique reservation_id is the final guard against a second payment.
    const paymentId = await this.payments.insert(trx, cmd, this.clock.now());
    if (paymentId === null) return { ok: false, reason: 'RESERVATION_NOT_PAYABLE', detail: `Reservation ${cmd.reservationId} is already paid.` };
    let balanceAfter = balance;
    if (cmd.amount > 0) {
      const posted = await this.ledger.debit(trx, cmd.userId, cmd.amount, { reservationId: cmd.reservationId, paymentId });
      // Only reachable if the balance moved between the read and the conditional update (not on
      // SQLite, where the transaction holds the writer): throwing rolls the payment back.
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
