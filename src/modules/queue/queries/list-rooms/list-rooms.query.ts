import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { RoomView } from '../../domain/room-view';
import { RoomCounts } from '../../infrastructure/room-counts';
import { RoomsRepository } from '../../infrastructure/rooms.repository';

const CLOSED_SHOWN_MS = 24 * 3600 * 1000;

/** `GET /admin/queue/rooms`: every room in force and those closed in the last day, with their numbers. */
@injectable()
export class ListRoomsQuery {
  constructor(
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
    @inject(RoomCounts) private readonly counts: RoomCounts,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async list(): Promise<RoomView[]> {
    const rooms = await this.repo.list(this.repo.direct, this.clock.now() - CLOSED_SHOWN_MS);
    return Promise.all(rooms.map((r) => this.counts.view(r)));
  }
}
