import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { RefundService } from '../payments/refund.service';
import { PAYMENT } from '../payment.di-tokens';

/** Choreography: confirming after payment failed (e.g. the hold expired meanwhile) → refund. */
@injectable()
export class RefundOnReservationFailed implements EventHandler<'reservation.failed'> {
  constructor(@inject(PAYMENT.RefundService) private readonly refunds: RefundService) {}

  async handle(event: EventEnvelope<'reservation.failed'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    await this.refunds.refund(trx, { paymentId: p.paymentId, reservationId: p.reservationId, reason: `RESERVATION_FAILED: ${p.reason}`, sagaId: null, replyIfAlreadyRefunded: false });
  }
}

/** A confirmed reservation was cancelled → refund its payment. */
@injectable()
export class RefundOnConfirmedCancelled implements EventHandler<'reservation.cancelled'> {
  constructor(
    @inject(PAYMENT.RefundService) private readonly refunds: RefundService,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.previousStatus !== 'CONFIRMED') return;
    if (p.paymentId === null) {
      this.logger.warn({ reservationId: p.reservationId }, 'confirmed reservation cancelled without a payment id: nothing to refund');
      return;
    }
    await this.refunds.refund(trx, { paymentId: p.paymentId, reservationId: p.reservationId, reason: 'RESERVATION_CANCELLED', sagaId: null, replyIfAlreadyRefunded: false });
  }
}
