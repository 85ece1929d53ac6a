import { inject, injectable } from 'inversify';
import { every, type Job } from '../../../platform/module/module-definition';
import { QUEUE_STORE, type QueueStore } from '../queue-store';

/** Admission cycle: expire passes and idle waiters, then admit the head of the queue within both limits. */
@injectable()
export class AdmitJob implements Job {
  static readonly schedule = every(200, 'admit');

  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  run(): Promise<void> {
    return this.store.runCycle();
  }
}
