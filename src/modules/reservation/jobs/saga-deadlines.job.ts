import { inject, injectable } from 'inversify';
import { every } from '../../../platform/module/module-definition';
import { ConfirmSagaOrchestrator } from '../commands/orchestrate-confirm-saga/confirm-saga.orchestrator';

const DUE_BATCH = 100;

/**
 * The confirm saga's timers: resends an unanswered `payment.requested` every 5 s, times out a PAY
 * step at its deadline, resends an unanswered refund request with backoff. Batches of one
 * transaction each; returns how many sagas it woke.
 */
@injectable()
export class SagaDeadlinesJob {
  static readonly schedule = every(1000, 'saga-deadlines');

  constructor(@inject(ConfirmSagaOrchestrator) private readonly orchestrator: ConfirmSagaOrchestrator) {}

  async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.orchestrator.wakeDue(DUE_BATCH);
      total += n;
      if (n < DUE_BATCH) return total;
    }
  }
}
