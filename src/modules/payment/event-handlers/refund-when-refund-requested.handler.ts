import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { RefundPayment } from '../commands/refund-payment/refund-payment.service';

/** Orchestrated saga, compensation: refund once, and always answer `payment.cancelled` with the saga id. */
@injectable()
export class RefundWhenRefundRequested implements EventHandler<'payment.refund-requested'> {
  static readonly subscription = on('payment.refund-requested', 'refund-on-refund-requested');

  constructor(@inject(RefundPayment) private readonly refunds: RefundPayment) {}

  async handle(event: EventEnvelope<'payment.refund-requested'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    await this.refunds.refund(trx, {
      paymentId: p.paymentId,
      reservationId: p.reservationId,
      reason: p.reason,
      sagaId: p.sagaId,
      replyIfAlreadyRefunded: true,
    });
  }
}
