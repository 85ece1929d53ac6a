import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { RefundPayment } from '../commands/refund-payment/refund-payment.service';

/** Choreography: confirming after payment failed (e.g. the hold expired meanwhile) → refund. */
@injectable()
export class RefundWhenReservationFailed implements EventHandler<'reservation.failed'> {
  static readonly subscription = on('reservation.failed', 'refund-on-reservation-failed');

  constructor(@inject(RefundPayment) private readonly refunds: RefundPayment) {}

  async handle(event: EventEnvelope<'reservation.failed'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    await this.refunds.refund(trx, {
      paymentId: p.paymentId,
      reservationId: p.reservationId,
      reason: `RESERVATION_FAILED: ${p.reason}`,
      sagaId: null,
      replyIfAlreadyRefunded: false,
    });
  }
}
