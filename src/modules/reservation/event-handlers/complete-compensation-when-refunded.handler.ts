import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ConfirmSagaOrchestrator } from '../commands/orchestrate-confirm-saga/confirm-saga.orchestrator';

/** The saga's REFUND was done: its compensation is complete. */
@injectable()
export class CompleteCompensationWhenRefunded implements EventHandler<'payment.cancelled'> {
  static readonly subscription = on('payment.cancelled', 'saga-on-payment-cancelled');

  constructor(@inject(ConfirmSagaOrchestrator) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  async handle(event: EventEnvelope<'payment.cancelled'>, trx: Transaction): Promise<void> {
    const { sagaId, paymentId } = event.payload;
    if (sagaId === null) return;
    await this.orchestrator.handle(trx, sagaId, { type: 'PaymentCancelled', paymentId });
  }
}
