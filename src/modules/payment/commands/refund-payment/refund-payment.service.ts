import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import { PermanentEventError } from '../../../../platform/bus/subscription';
import type { Clock } from '../../../../platform/clock/clock';
import type { Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { LedgerRepository } from '../../infrastructure/ledger.repository';
import { PaymentRepository } from '../../infrastructure/payment.repository';

export interface RefundCommand {
  paymentId: number;
  /** When the asker names the reservation, it must be the payment's. */
  reservationId?: number;
  reason: string;
  /** The saga asking for the compensation, or null (choreography). */
  sagaId: string | null;
  /**
   * A saga waits for an answer even when the payment was refunded already (by another path):
   * then `payment.cancelled` is published again as its reply, with no second refund.
   */
  replyIfAlreadyRefunded: boolean;
}

export type RefundOutcome = 'REFUNDED' | 'ALREADY_REFUNDED';

/**
 * The compensation of a payment, inside the caller's transaction: PAID → REFUNDED, a REFUND
 * entry that restores the points, and `payment.cancelled`. At most once per payment: the status
 * change is conditional and the ledger holds at most one REFUND entry per payment.
 */
@injectable()
export class RefundPayment {
  constructor(
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @inject(PaymentRepository) private readonly payments: PaymentRepository,
  ) {}

  async refund(trx: Transaction, cmd: RefundCommand): Promise<RefundOutcome> {
    const payment = await this.payments.findById(trx, cmd.paymentId);
    // Our own payment ids only ever leave in our own committed events: no retry can fix this.
    if (!payment) throw new PermanentEventError(`No payment ${cmd.paymentId} to refund`);
    if (cmd.reservationId !== undefined && payment.reservationId !== cmd.reservationId) {
      throw new PermanentEventError(`Payment ${cmd.paymentId} is for reservation ${payment.reservationId}, not ${cmd.reservationId}`);
    }
    const payload = { paymentId: payment.id, reservationId: payment.reservationId, userId: payment.userId, amount: payment.amount, sagaId: cmd.sagaId };
    if (!(await this.payments.markRefunded(trx, payment.id, cmd.reason, this.clock.now()))) {
      if (cmd.replyIfAlreadyRefunded)
        await this.outbox.publish(trx, 'payment.cancelled', payment.reservationId, { ...payload, reason: payment.refundReason ?? cmd.reason });
      return 'ALREADY_REFUNDED';
    }
    if (payment.amount > 0) {
      const posted = await this.ledger.credit(trx, payment.userId, 'REFUND', payment.amount, { reservationId: payment.reservationId, paymentId: payment.id });
      if (!posted) throw new Error(`Refund of payment ${payment.id} could not be credited`);
    }
    await this.outbox.publish(trx, 'payment.cancelled', payment.reservationId, { ...payload, reason: cmd.reason });
    return 'REFUNDED';
  }
}
