import { inject, injectable } from 'inversify';
import { PassRevocations } from '../../infrastructure/pass-revocations';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';

/** Start-up: rebuild the live state from the database, and re-apply the revoked passes to this process's checker. */
@injectable()
export class RestoreLiveQueueService {
  constructor(
    @inject(QUEUE_STORE) private readonly store: QueueStore,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
  ) {}

  async run(): Promise<void> {
    await this.store.restore();
    await this.revocations.reapplyUnexpired();
  }
}
