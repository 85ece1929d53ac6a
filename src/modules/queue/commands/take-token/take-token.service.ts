import { inject, injectable } from 'inversify';
import { type JoinOutcome, QUEUE_STORE, type QueueStore } from '../../queue-store';

export type { JoinOutcome } from '../../queue-store';

/** `POST /queue/token`: the caller's live token, or a new one at the back of the queue (decided by the store). */
@injectable()
export class TakeTokenService {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  join(userId: number): Promise<JoinOutcome> {
    return this.store.join(userId);
  }
}
