import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { rerunOnConcurrentAppend } from '../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../infrastructure/reservation.repository';
import { ReservationLifecycle } from '../infrastructure/reservation-lifecycle';

/**
 * Choreography (seed §3.2.1): a payment for a hold succeeded → confirm it and publish
 * `reservation.success`; if it can no longer be confirmed (expired — paid after the expiry, or
 * handled after the grace that follows it — cancelled, confirmed by another payment) → `reservation.failed`, on which the payment module refunds. Payments made
 * by the orchestrated saga (sagaId set) are the orchestrator's business, not this handler's.
 */
@injectable()
export class ConfirmReservationWhenPaid implements EventHandler<'payment.success'> {
  // One payment.success goes to one of the two: this (no saga) or AdvanceConfirmSagaWhenPaid.
  static readonly subscription = on('payment.success', 'confirm-on-payment', { only: (p) => p.sagaId === null });

  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(ReservationLifecycle) private readonly lifecycle: ReservationLifecycle,
  ) {}

  async handle(event: EventEnvelope<'payment.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.sagaId !== null) return;
    // A concurrent change of the reservation (a cancel, the sweeper) runs the delivery again on the new state.
    await rerunOnConcurrentAppend(async () => {
      const reservation = await this.repository.load(trx, p.reservationId);
      if (!reservation) {
        // Money was taken for something we do not know: give it back.
        this.logger.warn({ reservationId: p.reservationId, paymentId: p.paymentId }, 'payment for an unknown reservation');
        await this.lifecycle.publishFailed(trx, p.reservationId, p.userId, p.paymentId, 'UNKNOWN_RESERVATION');
        return;
      }
      // When the payment module recorded the payment (the event was published in that transaction):
      // a payment made before the hold's expiry still confirms it within the grace.
      const paidAtMs = Date.parse(event.occurredAt);
      const outcome = await this.lifecycle.applyPayment(
        trx,
        reservation,
        { paymentId: p.paymentId, userId: p.userId, amount: p.amount, sagaId: null, paidAtMs },
        this.clock.now(),
      );
      if (outcome.kind === 'confirmed') await this.lifecycle.publishSuccess(trx, reservation);
      else if (outcome.kind === 'failed') await this.lifecycle.publishFailed(trx, reservation.id, p.userId, p.paymentId, outcome.reason);
    });
  }
}
