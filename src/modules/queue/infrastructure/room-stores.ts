import { Container, inject, injectable, type ServiceIdentifier } from 'inversify';
import type { QueuePasses } from '../../../platform/auth/queue-pass';
import type { Clock } from '../../../platform/clock/clock';
import type { Db } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type Room, roomFlow } from '../domain/room';
import { QueueErrors } from '../queue.errors';
import type { QueueSettings } from '../queue.settings';
import { QUEUE_ROOM, type RoomScope } from '../queue-room';
import { QUEUE_STORE, type QueueStore } from '../queue-store';
import { AdmissionCycle } from './admission-cycle';
import { LiveQueue } from './live-queue';
import { MemoryQueueStore } from './memory/memory-queue-store';
import { PassRevocations } from './pass-revocations';
import { QueueRepository } from './queue.repository';
import { RedisQueueStore } from './redis/redis-queue-store';
import { type PreQueueEntry, RoomsRepository } from './rooms.repository';

/** The module's own container: each room's store is built in a child of it. */
export const QUEUE_CONTAINER = Symbol.for('queue.Container');

/** How often a replica re-reads the rooms in force (another replica may have created, paused or closed one). */
const ROOMS_REFRESH_MS = 1000;
/** Tokens whose room this process knows; cleared past this size (a miss costs one query). */
const TOKEN_CACHE_MAX = 500_000;

/** Where a token lives: a room's queue (0: the default room), or a room's pre-queue. */
export type TokenHome =
  | { kind: 'queue'; store: QueueStore; roomId: number }
  | { kind: 'pre-queue'; entry: PreQueueEntry; room: Room | null }
  | { kind: 'closed-room'; userId: number };

interface RoomEntry {
  room: Room;
  store: QueueStore;
  container: Container;
  revocations: PassRevocations;
  restored: Promise<void>;
}

/**
 * The waiting rooms of this process (ADR 0012): the default room's store (the module's
 * `QUEUE_STORE`, unchanged), and one store per on-sale room, each built in a child container
 * that binds its `QUEUE_ROOM` and its flow, so the index, the admission cycle, the repository and
 * (on Redis) the keys are the room's own. The rooms themselves are rows of `queue_rooms`, re-read
 * every second, so every replica and a restart see them.
 */
@injectable()
export class RoomStores {
  private readonly byId = new Map<number, RoomEntry>();
  private rooms: Room[] = [];
  /** Whether any room was ever created: until then every token is the default room's, found with no query. */
  private anyRoom = false;
  private readAtMs = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | null = null;
  private readonly tokenRooms = new Map<string, number>();

  constructor(
    @inject(QUEUE_CONTAINER) private readonly container: Container,
    @inject(QUEUE_STORE) readonly defaultStore: QueueStore,
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.QueuePasses) private readonly passes: QueuePasses,
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
  ) {}

  /**
   * The rooms in force (not closed), as last read; `fresh`: as read after this call. A read
   * already under way may have started before a room the caller just committed, so a fresh read
   * waits for it and reads again (it once answered a room's own creation with "not found").
   */
  async inForce(fresh = false): Promise<Room[]> {
    if (fresh) {
      if (this.reading) await this.reading.catch(() => undefined);
      await this.refresh();
    } else if (this.clock.now() - this.readAtMs >= ROOMS_REFRESH_MS) await this.refresh();
    return this.rooms;
  }

  /** Start-up: every room in force gets its store back, and this process's pass checker learns the concerts that have a room. */
  async restore(): Promise<void> {
    await this.refresh();
    await Promise.all(this.rooms.map((r) => this.entryOf(r).restored));
    for (const r of this.rooms) await this.entryOf(r).revocations.reapplyUnexpired();
  }

  /**
   * The concert's room. One this process knows answers at once; otherwise the database says (a
   * room just created on another replica must not be missed for the second until the next refresh).
   */
  async roomOfConcert(concertId: number): Promise<Room | null> {
    const known = (await this.inForce()).find((r) => r.concertId === concertId);
    if (known) return known;
    const row: { id: number } | undefined = await this.repo.direct('queue_rooms').where({ live_concert_id: concertId }).first('id');
    if (!row) return null;
    return (await this.inForce(true)).find((r) => r.id === row.id) ?? null;
  }

  /** A room's store (restored before it is handed out). */
  async storeOf(room: Room): Promise<QueueStore> {
    const entry = this.entryOf(room);
    await entry.restored;
    return entry.store;
  }

  /** The default room's and every open room's store: the admission cycle runs in each. */
  async everyStore(): Promise<QueueStore[]> {
    const rooms = (await this.inForce()).filter((r) => r.state === 'OPEN' || r.state === 'OPENING');
    return [this.defaultStore, ...(await Promise.all(rooms.map((r) => this.storeOf(r))))];
  }

  /**
   * The store for a confirmed purchase of this concert, in the bus's transaction: the room is read
   * on that transaction and nothing here waits for another handle (on SQLite that would wait for
   * the connection the transaction holds, forever). A store not built yet is built; its restore
   * runs after the transaction, and the completion is in the database either way.
   */
  async storeForConcert(trx: Db, concertId: number): Promise<QueueStore> {
    const row: { id: number } | undefined = await trx('queue_rooms').where({ live_concert_id: concertId }).first('id');
    if (!row) return this.defaultStore;
    const known = this.byId.get(row.id);
    if (known) return known.store;
    const room = await this.repo.find(trx, row.id);
    return room ? this.entryOf(room).store : this.defaultStore;
  }

  /** Remembers a token's room, so its polls go straight to it. */
  noteToken(token: string, roomId: number): void {
    if (this.tokenRooms.size >= TOKEN_CACHE_MAX) this.tokenRooms.clear();
    this.tokenRooms.set(token, roomId);
  }

  /**
   * Where a token lives. While no room was ever created, the default room (as before rooms: no query);
   * otherwise the room this process noted for it, or the one the database says (one query, then noted).
   */
  async homeOf(token: string): Promise<TokenHome> {
    const known = this.tokenRooms.get(token);
    if (known === 0) return { kind: 'queue', store: this.defaultStore, roomId: 0 };
    const rooms = await this.inForce();
    if (known === undefined && !this.anyRoom) return { kind: 'queue', store: this.defaultStore, roomId: 0 };
    // A pre-queue token first: during an opening most polls are theirs, and one read answers them.
    const entry = await this.repo.preQueueByToken(this.repo.direct, token);
    if (entry && entry.placedAtMs === null) return { kind: 'pre-queue', entry, room: rooms.find((r) => r.id === entry.roomId) ?? null };
    const row: { room_id: number; user_id: number } | undefined = await this.repo.direct('queue_tokens').where({ token }).first('room_id', 'user_id');
    if (row) {
      this.noteToken(token, row.room_id);
      if (row.room_id === 0) return { kind: 'queue', store: this.defaultStore, roomId: 0 };
      const room = rooms.find((r) => r.id === row.room_id);
      // A token of a closed room has ended with it.
      return room ? { kind: 'queue', store: await this.storeOf(room), roomId: room.id } : { kind: 'closed-room', userId: row.user_id };
    }
    // Placed, but its row is being written (the batch is finishing): still the pre-queue's answer.
    if (entry) return { kind: 'pre-queue', entry, room: rooms.find((r) => r.id === entry.roomId) ?? null };
    return { kind: 'queue', store: this.defaultStore, roomId: 0 };
  }

  /**
   * Where the caller's token lives: a room's queue (its store checks the owner), or, checked
   * here, their own pre-queue entry or a token of a closed room. Someone else's: `QUEUE_TOKEN_NOT_FOUND`.
   */
  async homeOfOwn(userId: number, token: string): Promise<TokenHome> {
    const home = await this.homeOf(token);
    if (home.kind === 'queue') return home;
    const owner = home.kind === 'closed-room' ? home.userId : home.entry.userId;
    if (owner !== userId) throw QueueErrors.tokenNotFound();
    return home;
  }

  /** After a room changed (here or, seen by a refresh, on another replica): its store's flow follows the room. */
  async applyFlow(room: Room): Promise<void> {
    const entry = this.byId.get(room.id);
    if (!entry) return;
    entry.room = room;
    await entry.restored;
    const flow = roomFlow(room);
    await entry.store.updateFlow({ maxActive: flow.maxActive, admitPerSecond: flow.admitPerSecond });
  }

  /** A closed room's store is let go, its live state with it (its tokens were ended in the database). */
  async drop(roomId: number): Promise<void> {
    await (await this.letGo(roomId))?.discard();
  }

  /** The platform is stopping: every store lets its connections go (the rooms stay, for the next start). */
  async closeAll(): Promise<void> {
    for (const id of [...this.byId.keys()]) await (await this.letGo(id))?.close();
    await this.defaultStore.close();
  }

  /** Forgets a room's store, once its restore has ended, and hands it back to be closed or discarded. */
  private async letGo(roomId: number): Promise<QueueStore | undefined> {
    const entry = this.byId.get(roomId);
    if (!entry) return undefined;
    this.byId.delete(roomId);
    await entry.restored.catch(() => undefined);
    return entry.store;
  }

  /** The room's scoped repository and revocations (closing a room ends its tokens). */
  scoped(room: Room): { tokens: QueueRepository; revocations: PassRevocations } {
    const entry = this.entryOf(room);
    return { tokens: entry.container.get(QueueRepository), revocations: entry.revocations };
  }

  private refresh(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const rooms = await this.repo.inForce(this.repo.direct);
        this.anyRoom ||= rooms.length > 0 || (await this.repo.anyRoom(this.repo.direct));
        this.readAtMs = this.clock.now();
        const ids = new Set(rooms.map((r) => r.id));
        for (const id of [...this.byId.keys()]) if (!ids.has(id)) await this.drop(id);
        for (const r of rooms) {
          this.passes.noteRoom(r.id, r.concertId, true);
          const entry = this.byId.get(r.id);
          if (entry) entry.room = r;
        }
        this.rooms = rooms;
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  private entryOf(room: Room): RoomEntry {
    const known = this.byId.get(room.id);
    if (known) return known;
    const child = new Container({ parent: this.container, defaultScope: 'Singleton', autobind: true });
    const scope: RoomScope = { roomId: room.id, concertId: room.concertId };
    const flow = roomFlow({ ...room, paused: false });
    child.bind(QUEUE_ROOM).toConstantValue(scope);
    // The room's flow is its configured one; a pause or a change is an override, as PATCH /admin/queue is for the default room.
    child.bind(PLATFORM.Settings).toConstantValue({ ...this.settings, maxActive: flow.maxActive, admitPerSecond: flow.admitPerSecond });
    const perRoom: Array<ServiceIdentifier<unknown>> = [QueueRepository, LiveQueue, AdmissionCycle, PassRevocations, MemoryQueueStore, RedisQueueStore];
    for (const cls of perRoom) child.bind(cls).toSelf();
    child.bind(QUEUE_STORE).toService(this.settings.store.kind === 'redis' ? RedisQueueStore : MemoryQueueStore);
    const store = child.get<QueueStore>(QUEUE_STORE);
    const entry: RoomEntry = {
      room,
      store,
      container: child,
      revocations: child.get(PassRevocations),
      // A pause or a change made before this store existed is in the room's overrides row, read by its restore.
      restored: store.restore(),
    };
    entry.restored.catch((err: unknown) => this.logger.error({ err, roomId: room.id }, 'queue: a room’s store could not be restored'));
    this.byId.set(room.id, entry);
    return entry;
  }
}
