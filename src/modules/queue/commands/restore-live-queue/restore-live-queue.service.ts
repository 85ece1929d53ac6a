import { inject, injectable } from 'inversify';
import { PassRevocations } from '../../infrastructure/pass-revocations';
import { RoomStores } from '../../infrastructure/room-stores';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';

/** Start-up: rebuild the live state from the database (the default room's, then every room's), and re-apply the revoked passes and the rooms to this process's checker. */
@injectable()
export class RestoreLiveQueueService {
  constructor(
    @inject(QUEUE_STORE) private readonly store: QueueStore,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
    @inject(RoomStores) private readonly rooms: RoomStores,
  ) {}

  async run(): Promise<void> {
    await this.store.restore();
    await this.revocations.reapplyUnexpired();
    await this.rooms.restore();
  }
}
