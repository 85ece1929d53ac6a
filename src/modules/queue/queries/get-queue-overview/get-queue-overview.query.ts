import { inject, injectable } from 'inversify';
import type { QueueOverview } from '../../domain/views';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';

/** `GET /admin/queue`: read from the live state, like a status poll. */
@injectable()
export class GetQueueOverviewQuery {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  overview(): Promise<QueueOverview> {
    return this.store.overview();
  }
}
