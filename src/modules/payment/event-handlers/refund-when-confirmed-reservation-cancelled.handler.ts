import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { RefundPayment } from '../commands/refund-payment/refund-payment.service';

/**
 * A confirmed reservation was cancelled → refund its payment. Every cancellation is taken in (and
 * leaves its inbox row), the others are skipped here.
 */
@injectable()
export class RefundWhenConfirmedReservationCancelled implements EventHandler<'reservation.cancelled'> {
  static readonly subscription = on('reservation.cancelled', 'refund-on-confirmed-cancelled');

  constructor(
    @inject(RefundPayment) private readonly refunds: RefundPayment,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.previousStatus !== 'CONFIRMED') return;
    if (p.paymentId === null) {
      this.logger.warn({ reservationId: p.reservationId }, 'confirmed reservation cancelled without a payment id: nothing to refund');
      return;
    }
    await this.refunds.refund(trx, {
      paymentId: p.paymentId,
      reservationId: p.reservationId,
      reason: 'RESERVATION_CANCELLED',
      sagaId: null,
      replyIfAlreadyRefunded: false,
    });
  }
}
