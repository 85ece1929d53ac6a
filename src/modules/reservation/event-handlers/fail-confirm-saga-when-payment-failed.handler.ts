import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ConfirmSagaOrchestrator } from '../commands/orchestrate-confirm-saga/confirm-saga.orchestrator';

/** The saga's PAY step was refused: the saga fails; nothing was debited, so nothing to compensate. */
@injectable()
export class FailConfirmSagaWhenPaymentFailed implements EventHandler<'payment.failed'> {
  static readonly subscription = on('payment.failed', 'saga-on-payment-failed');

  constructor(@inject(ConfirmSagaOrchestrator) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  async handle(event: EventEnvelope<'payment.failed'>, trx: Transaction): Promise<void> {
    const { sagaId, reason, detail } = event.payload;
    if (sagaId === null) return;
    await this.orchestrator.handle(trx, sagaId, { type: 'PaymentFailed', reason, detail });
  }
}
