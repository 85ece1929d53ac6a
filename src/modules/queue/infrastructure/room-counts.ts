import { inject, injectable } from 'inversify';
import type { Room } from '../domain/room';
import { CLOSED_ROOM_FIGURES, type RoomView, roomView } from '../domain/room-view';
import { RoomStores } from './room-stores';
import { RoomsRepository } from './rooms.repository';

/** A room with its numbers: the pre-queue (from the database), the rest from its store's overview. */
@injectable()
export class RoomCounts {
  constructor(
    @inject(RoomStores) private readonly stores: RoomStores,
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
  ) {}

  async view(room: Room): Promise<RoomView> {
    if (room.state === 'CLOSED') return roomView(room, CLOSED_ROOM_FIGURES);
    const preQueue = await this.repo.countUnplaced(this.repo.direct, room.id);
    const o = await (await this.stores.storeOf(room)).overview();
    return roomView(room, {
      preQueue,
      waiting: o.waiting,
      active: o.active,
      admissionsPerMinute: o.admissionsPerMinute,
      estimatedAdmissionsPerSecond: o.estimatedAdmissionsPerSecond,
      lastInLineWaitSeconds: o.lastInLineWaitSeconds,
      oldestWaitSeconds: o.oldestWaitSeconds,
    });
  }
}
