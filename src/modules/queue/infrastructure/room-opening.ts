import { randomInt } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { isDueToOpen, type Room, shuffled } from '../domain/room';
import { RoomStores } from './room-stores';
import { RoomsRepository } from './rooms.repository';

/**
 * Pre-queue tokens placed per step of an opening (one batch of joins in the room's store, one
 * transaction): small enough that the polls needing a read (the tokens still in the pre-queue)
 * get the database between two batches.
 */
const PLACE_BATCH = 500;

/**
 * The opening of a room (ADR 0012), run by the `open-rooms` job in the module's leader only:
 * 1. *shuffle*: in one transaction, every pre-queue token gets a uniformly random place
 *    (Fisher–Yates with `crypto.randomInt`), recorded in `queue_pre_queue.place`, and the room
 *    becomes OPENING. From here on the order is fixed: a restart finds it in the database.
 * 2. *place*: the tokens join the room's queue in that order, with the tokens their holders
 *    already poll with, a batch at a time (each marked placed once its store answered; a restart
 *    repeats the unmarked ones, and the store answers a token that is already in with itself).
 *    Arrivals after the opening began wait in the pre-queue without a place, and are placed
 *    behind, in arrival order.
 * 3. *open*: once nothing is left to place, the room is OPEN, and joins go straight to its queue,
 *    FIFO behind everyone. A pre-queue join decided just before that and written just after (the
 *    joins take no room-wide lock: a rush's joins would all wait on one key) is placed by the next
 *    round, behind.
 */
@injectable()
export class RoomOpening {
  private current: Promise<void> = Promise.resolve();
  private next: Promise<void> | null = null;

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
    @inject(RoomStores) private readonly stores: RoomStores,
  ) {}

  /**
   * One opening step for every room that needs one; one run at a time in this process. A call
   * while a run is in progress gets the next run (which reads the time after the call), never the
   * one in progress, which may have looked before the room was due.
   */
  run(): Promise<void> {
    if (this.next) return this.next;
    const next = this.current
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.openDue();
      });
    this.next = next;
    this.current = next;
    return next;
  }

  private async openDue(): Promise<void> {
    const now = this.clock.now();
    for (const room of await this.stores.inForce(true)) {
      if (isDueToOpen(room, now)) await this.shuffle(room);
      else if (room.state === 'OPENING') await this.place(room);
      // A pre-queue join decided just before the room opened, written just after: placed behind.
      else if (room.state === 'OPEN' && (await this.repo.countUnplaced(this.repo.direct, room.id)) > 0) await this.place(room);
    }
  }

  private async shuffle(room: Room): Promise<void> {
    const now = this.clock.now();
    const count = await this.db.transaction(async (trx) => {
      await this.db.lock(trx, 'room-opening', room.id);
      const current = await this.repo.find(trx, room.id);
      if (!current || !isDueToOpen(current, now)) return null;
      const entries = await this.repo.unshuffled(trx, room.id);
      const order = shuffled(entries, randomInt);
      await this.repo.recordPlaces(
        trx,
        order.map((e, i) => ({ id: e.id, place: i + 1 })),
      );
      await this.repo.update(trx, room.id, ['SCHEDULED'], { state: 'OPENING', openedAtMs: now }, now);
      return entries.length;
    });
    if (count === null) return;
    this.logger.info({ roomId: room.id, concertId: room.concertId, preQueue: count }, 'queue: room opening, pre-queue shuffled');
    await this.place({ ...room, state: 'OPENING' });
  }

  private async place(room: Room): Promise<void> {
    const store = await this.stores.storeOf(room);
    for (;;) {
      const batch = await this.repo.nextToPlace(this.repo.direct, room.id, PLACE_BATCH);
      if (batch.length === 0) {
        if (room.state !== 'OPENING') return;
        if (await this.db.transaction((trx) => this.repo.update(trx, room.id, ['OPENING'], { state: 'OPEN' }, this.clock.now()))) {
          this.logger.info({ roomId: room.id }, 'queue: room open');
          await this.stores.inForce(true);
        }
        return;
      }
      // Called one after another without waiting: the store places them in this order.
      const joins = batch.map((e) => store.join(e.userId, e.token));
      await Promise.all(joins);
      for (const e of batch) this.stores.noteToken(e.token, room.id);
      await this.db.transaction((trx) =>
        this.repo.markPlaced(
          trx,
          batch.map((e) => e.id),
          this.clock.now(),
        ),
      );
    }
  }
}
