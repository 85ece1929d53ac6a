import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { Outbox } from '../../../platform/bus/outbox';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { PaymentRepository } from '../payments/payment.repository';
import type { PayReservation } from '../payments/pay-reservation';
import type { RefundService } from '../payments/refund.service';
import { PAYMENT } from '../payment.di-tokens';
import type { ReservationCopyRepository } from '../reservation-copy/reservation-copy.repository';

/**
 * Orchestrated saga, pay step: the command carries owner and amount, so no copy is needed. Pays
 * exactly like `/payments/process` and answers `payment.success` or `payment.failed` with the
 * saga id. A business refusal is an answer, not an error: nothing is retried.
 */
@injectable()
export class OnPaymentRequested implements EventHandler<'payment.requested'> {
  constructor(
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PAYMENT.Payments) private readonly payments: PaymentRepository,
    @inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository,
    @inject(PAYMENT.PayReservation) private readonly payReservation: PayReservation,
  ) {}

  async handle(event: EventEnvelope<'payment.requested'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const paid = await this.payments.findByReservation(p.reservationId, trx);
    // The same saga asking again: it was answered the first time, and the outbox delivers that answer.
    if (paid && paid.sagaId === p.sagaId) return;
    const refuse = (detail: string) =>
      this.outbox.publish(trx, 'payment.failed', p.reservationId, { reservationId: p.reservationId, userId: p.userId, sagaId: p.sagaId, reason: 'RESERVATION_NOT_PAYABLE', detail });
    const expiresAtMs = Date.parse(p.expiresAt);
    if (Number.isNaN(expiresAtMs) || expiresAtMs <= this.clock.now()) return void (await refuse(`The hold on reservation ${p.reservationId} has expired.`));
    // Our copy may know more than the command (an expiry or cancellation already seen).
    const copy = await this.copies.find(trx, p.reservationId);
    if (copy && copy.status !== 'HELD') return void (await refuse(`Reservation ${p.reservationId} is ${copy.status}.`));
    const outcome = await this.payReservation.pay(trx, { reservationId: p.reservationId, userId: p.userId, amount: p.amount, sagaId: p.sagaId });
    if (outcome.ok) return;
    await this.outbox.publish(trx, 'payment.failed', p.reservationId, { reservationId: p.reservationId, userId: p.userId, sagaId: p.sagaId, reason: outcome.reason, detail: outcome.detail });
  }
}

/** Orchestrated saga, compensation: refund once, and always answer `payment.cancelled` with the saga id. */
@injectable()
export class OnRefundRequested implements EventHandler<'payment.refund-requested'> {
  constructor(@inject(PAYMENT.RefundService) private readonly refunds: RefundService) {}

  async handle(event: EventEnvelope<'payment.refund-requested'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    await this.refunds.refund(trx, { paymentId: p.paymentId, reservationId: p.reservationId, reason: p.reason, sagaId: p.sagaId, replyIfAlreadyRefunded: true });
  }
}
