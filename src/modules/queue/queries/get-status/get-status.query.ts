import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { endedView, preQueueView, type TicketView } from '../../domain/views';
import { QueueMetrics } from '../../infrastructure/queue.metrics';
import { RoomStores } from '../../infrastructure/room-stores';

/**
 * `GET /queue/status`, the hot path of a sale: answered from the live state of the token's room
 * (the in-memory index with no query, or one Redis script); only a token the process does not
 * know yet is looked up (its room, once), and a pre-queue token reads its entry.
 */
@injectable()
export class GetStatusQuery {
  constructor(
    @inject(RoomStores) private readonly stores: RoomStores,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(QueueMetrics) private readonly metrics: QueueMetrics,
  ) {}

  async status(userId: number, token: string): Promise<TicketView> {
    const home = await this.stores.homeOfOwn(userId, token);
    if (home.kind === 'closed-room') return endedView(token, 'EXPIRED');
    const view =
      home.kind === 'queue'
        ? await home.store.status(userId, token)
        : home.room
          ? preQueueView(token, home.room.opensAtMs, this.clock.now())
          : endedView(token, 'EXPIRED');
    this.metrics.polled(home.kind === 'queue' ? home.roomId : home.entry.roomId);
    return view;
  }
}
