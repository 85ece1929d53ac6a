import { inject, injectable } from 'inversify';
import { every, type Job } from '../../../platform/module/module-definition';
import { RoomOpening } from '../infrastructure/room-opening';

/** Opens the rooms whose time has come: shuffles the pre-queue (recorded), places it, then opens the room (in the leader only). */
@injectable()
export class OpenRoomsJob implements Job {
  static readonly schedule = every(250, 'open-rooms');

  constructor(@inject(RoomOpening) private readonly opening: RoomOpening) {}

  run(): Promise<void> {
    return this.opening.run();
  }
}
