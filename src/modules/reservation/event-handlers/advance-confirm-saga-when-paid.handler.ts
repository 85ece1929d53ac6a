import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ConfirmSagaOrchestrator } from '../commands/orchestrate-confirm-saga/confirm-saga.orchestrator';

/** The saga's PAY step succeeded: it goes on to CONFIRM and NOTIFY, or compensates (a payment it did not want is refunded). */
@injectable()
export class AdvanceConfirmSagaWhenPaid implements EventHandler<'payment.success'> {
  // One payment.success goes to one of the two: this (a saga's) or ConfirmReservationWhenPaid.
  static readonly subscription = on('payment.success', 'saga-on-payment-success', { only: (p) => p.sagaId !== null });

  constructor(@inject(ConfirmSagaOrchestrator) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  async handle(event: EventEnvelope<'payment.success'>, trx: Transaction): Promise<void> {
    const { sagaId, paymentId, reservationId, userId, amount } = event.payload;
    if (sagaId === null) return;
    // occurredAt: when the payment module recorded the payment (the CONFIRM step judges the hold's expiry by it).
    const paidAtMs = Date.parse(event.occurredAt);
    await this.orchestrator.handle(trx, sagaId, { type: 'PaymentSucceeded', sagaId, paymentId, reservationId, userId, amount, paidAtMs });
  }
}
