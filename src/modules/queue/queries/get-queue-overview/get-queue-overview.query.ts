import { inject, injectable } from 'inversify';
import type { QueueOverview } from '../../domain/views';
import { LiveQueue } from '../../infrastructure/live-queue';

/** `GET /admin/queue`: read from the index, like a status poll. */
@injectable()
export class GetQueueOverviewQuery {
  constructor(@inject(LiveQueue) private readonly live: LiveQueue) {}

  overview(): QueueOverview {
    return this.live.overview();
  }
}
