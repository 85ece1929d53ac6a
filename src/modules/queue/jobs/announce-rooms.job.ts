import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../platform/bus/outbox';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import { every, type Job } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { RoomsRepository } from '../infrastructure/rooms.repository';

/**
 * How often every room in force is announced again. The other processes keep the concerts that
 * have a room in memory (a default-room pass must not open them), fed by `queue.room.changed`;
 * a process that starts replays a day of the bus (JetStream's listener), so a room announced
 * only when it was created would be forgotten by a service restarted days later.
 */
export const ROOM_ANNOUNCE_INTERVAL_MS = 3600_000;

/** Publishes `queue.room.changed` (in force) for every room not closed, in the leader only. */
@injectable()
export class AnnounceRoomsJob implements Job {
  static readonly schedule = every(ROOM_ANNOUNCE_INTERVAL_MS, 'announce-rooms');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
  ) {}

  async run(): Promise<void> {
    await this.db.transaction(async (trx) => {
      for (const room of await this.repo.inForceLocked(trx))
        await this.outbox.publish(trx, 'queue.room.changed', room.id, { roomId: room.id, concertId: room.concertId, inForce: true });
    });
  }
}
