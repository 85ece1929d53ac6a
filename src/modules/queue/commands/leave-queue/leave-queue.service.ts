import { inject, injectable } from 'inversify';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';

/** `DELETE /queue/token`: leave the queue (or give back an active slot, revoking its pass). Repeating it is harmless. */
@injectable()
export class LeaveQueueService {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  leave(userId: number, token: string): Promise<void> {
    return this.store.leave(userId, token);
  }
}
