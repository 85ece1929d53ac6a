import { inject, injectable } from 'inversify';
import type { TicketView } from '../../domain/views';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';

/**
 * `GET /queue/status`, the hot path of a sale: answered from the live state (the in-memory index
 * with no query, or one Redis script); only a token the store does not know is looked up.
 */
@injectable()
export class GetStatusQuery {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  status(userId: number, token: string): Promise<TicketView> {
    return this.store.status(userId, token);
  }
}
