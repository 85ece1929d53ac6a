import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { RoomStores } from '../../infrastructure/room-stores';
import { RoomsRepository } from '../../infrastructure/rooms.repository';

/** `DELETE /queue/token`: the token's room decides (an active token gives its slot back); a pre-queue token just goes. */
@injectable()
export class LeaveQueueService {
  constructor(
    @inject(RoomStores) private readonly stores: RoomStores,
    @inject(RoomsRepository) private readonly rooms: RoomsRepository,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
  ) {}

  async leave(userId: number, token: string): Promise<void> {
    const home = await this.stores.homeOfOwn(userId, token);
    if (home.kind === 'queue') return home.store.leave(userId, token);
    if (home.kind === 'pre-queue') {
      const { entry } = home;
      // An entry not placed yet simply goes (guarded: once placed, the room's queue has the token, and is left below).
      await this.db.transaction((trx) => this.rooms.deletePreQueue(trx, entry.id));
      const again = await this.stores.homeOf(token);
      // Placed meanwhile: it left the pre-queue for the room's queue (never the default room's), so it leaves that.
      if (again.kind === 'queue' && again.store !== this.stores.defaultStore) await again.store.leave(userId, token);
    }
  }
}
