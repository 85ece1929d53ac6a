import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { Outbox } from '../../../platform/bus/outbox';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { PayReservation } from '../commands/pay-reservation/pay-reservation.service';
import { sagaPayRefusal } from '../domain/reservation-copy';
import { PaymentRepository } from '../infrastructure/payment.repository';
import { ReservationCopyRepository } from '../infrastructure/reservation-copy.repository';

/**
 * Orchestrated saga, pay step: the command carries owner and amount, so no copy is needed. Pays
 * exactly like `/payments/process` and answers `payment.success` or `payment.failed` with the
 * saga id. A business refusal is an answer, not an error: nothing is retried.
 */
@injectable()
export class PayWhenPaymentRequested implements EventHandler<'payment.requested'> {
  static readonly subscription = on('payment.requested', 'pay-on-payment-requested');

  constructor(
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PaymentRepository) private readonly payments: PaymentRepository,
    @inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository,
    @inject(PayReservation) private readonly payReservation: PayReservation,
  ) {}

  async handle(event: EventEnvelope<'payment.requested'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const paid = await this.payments.findByReservation(trx, p.reservationId);
    // The same saga asking again: it was answered the first time, and the outbox delivers that answer.
    if (paid && paid.sagaId === p.sagaId) return;
    const refusal = sagaPayRefusal(p.reservationId, p.expiresAt, await this.copies.find(trx, p.reservationId), this.clock.now());
    const outcome = refusal ?? (await this.payReservation.pay(trx, { reservationId: p.reservationId, userId: p.userId, amount: p.amount, sagaId: p.sagaId }));
    if (outcome.ok) return;
    await this.outbox.publish(trx, 'payment.failed', p.reservationId, {
      reservationId: p.reservationId,
      userId: p.userId,
      sagaId: p.sagaId,
      reason: outcome.reason,
      detail: outcome.detail,
    });
  }
}
