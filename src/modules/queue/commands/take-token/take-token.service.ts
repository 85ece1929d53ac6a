import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { exceedsRoomLimit, joinGoesToPreQueue, type Room } from '../../domain/room';
import { preQueueView } from '../../domain/views';
import { QueueMetrics } from '../../infrastructure/queue.metrics';
import { RoomStores } from '../../infrastructure/room-stores';
import { RoomsRepository } from '../../infrastructure/rooms.repository';
import { USER_TURNS, type UserTurns } from '../../infrastructure/user-turns';
import { QueueErrors } from '../../queue.errors';
import type { QueueSettings } from '../../queue.settings';
import type { JoinOutcome } from '../../queue-store';

export type { JoinOutcome } from '../../queue-store';

/**
 * `POST /queue/token`: the caller's live token, or a new one. Without a concert, or for a concert
 * without a room, the default room decides, exactly as before rooms. For a concert with a room:
 * at most `QUEUE_MAX_ROOMS_PER_USER` rooms per user; before the room's opening has placed its
 * pre-queue, the token joins the pre-queue (`PRE_QUEUE`, no position); after, the room's queue.
 */
@injectable()
export class TakeTokenService {
  constructor(
    @inject(RoomStores) private readonly stores: RoomStores,
    @inject(RoomsRepository) private readonly rooms: RoomsRepository,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    /** A user's joins to rooms run one at a time (across replicas on Redis), so the room limit is decided on what the earlier one did. */
    @inject(USER_TURNS) private readonly turns: UserTurns,
    @inject(QueueMetrics) private readonly metrics: QueueMetrics,
  ) {}

  async join(userId: number, concertId?: number): Promise<JoinOutcome> {
    const room = concertId === undefined ? null : await this.stores.roomOfConcert(concertId);
    if (!room) {
      const outcome = await this.stores.defaultStore.join(userId);
      this.stores.noteToken(outcome.view.token, 0);
      this.metrics.joined(0);
      return outcome;
    }
    const outcome = await this.turns.run(userId, () => this.joinRoom(userId, room));
    this.metrics.joined(room.id);
    return outcome;
  }

  private async joinRoom(userId: number, room: Room): Promise<JoinOutcome> {
    const held = await this.rooms.roomsOfUser(this.rooms.direct, userId);
    if (exceedsRoomLimit(held, room.id, this.settings.maxRoomsPerUser)) throw QueueErrors.tooManyRooms(this.settings.maxRoomsPerUser);
    if (joinGoesToPreQueue(room)) {
      const pre = await this.joinPreQueue(userId, room);
      if (pre) return pre;
    }
    const outcome = await (await this.stores.storeOf(room)).join(userId);
    this.stores.noteToken(outcome.view.token, room.id);
    return outcome;
  }

  /** Null: the opening finished meanwhile, the room's queue takes the join. */
  private async joinPreQueue(userId: number, room: Room): Promise<JoinOutcome | null> {
    for (;;) {
      const outcome = await this.tryPreQueue(userId, room);
      if (outcome !== 'again') return outcome;
    }
  }

  /** 'again': a concurrent join of the same user (another replica) took the entry after this transaction's snapshot; the next one sees it. */
  private async tryPreQueue(userId: number, room: Room): Promise<JoinOutcome | null | 'again'> {
    const now = this.clock.now();
    const token = randomBytes(32).toString('base64url');
    const result = await this.db.transaction(async (trx) => {
      // No lock of the room here (every join of a rush would wait on one key): an entry written just
      // after the room opened is placed behind by the opening job's next round.
      const current = await this.rooms.find(trx, room.id);
      if (!current || !joinGoesToPreQueue(current)) return null;
      const mine = await this.rooms.preQueueOfUser(trx, room.id, userId);
      if (mine) return { token: mine.token, created: false, placed: mine.placedAtMs !== null, opensAtMs: current.opensAtMs };
      // The limit again, under a lock of the user's rooms: two joins of one user to two rooms on two replicas are decided one after the other.
      await this.db.lock(trx, 'rooms-of-user', userId);
      const held = await this.rooms.roomsOfUser(trx, userId);
      if (exceedsRoomLimit(held, room.id, this.settings.maxRoomsPerUser)) throw QueueErrors.tooManyRooms(this.settings.maxRoomsPerUser);
      if ((await this.rooms.insertPreQueue(trx, { roomId: room.id, token, userId, arrivedAtMs: now })) === null) return 'again' as const;
      return { token, created: true, placed: false, opensAtMs: current.opensAtMs };
    });
    if (result === 'again') return 'again';
    if (!result || result.placed) return null;
    return { view: preQueueView(result.token, result.opensAtMs, now), created: result.created };
  }
}
