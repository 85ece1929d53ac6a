import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { RESERVATION } from '../reservation.di-tokens';
import type { ConfirmSagaOrchestrator } from '../saga/confirm-saga.orchestrator';

/** The payment module's replies to the orchestrated saga (events carrying a saga id). */
@injectable()
export class OnSagaPaymentSucceeded implements EventHandler<'payment.success'> {
  constructor(@inject(RESERVATION.ConfirmSaga) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  handle(event: EventEnvelope<'payment.success'>, trx: Transaction): Promise<void> {
    return this.orchestrator.onPaymentSucceeded(event, trx);
  }
}

@injectable()
export class OnSagaPaymentFailed implements EventHandler<'payment.failed'> {
  constructor(@inject(RESERVATION.ConfirmSaga) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  handle(event: EventEnvelope<'payment.failed'>, trx: Transaction): Promise<void> {
    return this.orchestrator.onPaymentFailed(event, trx);
  }
}

@injectable()
export class OnSagaPaymentCancelled implements EventHandler<'payment.cancelled'> {
  constructor(@inject(RESERVATION.ConfirmSaga) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  handle(event: EventEnvelope<'payment.cancelled'>, trx: Transaction): Promise<void> {
    return this.orchestrator.onPaymentCancelled(event, trx);
  }
}
