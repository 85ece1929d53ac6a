import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { Room, RoomState } from '../domain/room';

interface RoomRow {
  id: number;
  concert_id: number;
  opens_at_ms: number | null;
  max_active: number;
  admit_per_second: number;
  paused: boolean | number;
  state: RoomState;
  created_at_ms: number;
  updated_at_ms: number;
  opened_at_ms: number | null;
  closed_at_ms: number | null;
}

export interface PreQueueEntry {
  id: number;
  roomId: number;
  token: string;
  userId: number;
  arrivedAtMs: number;
  place: number | null;
  placedAtMs: number | null;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

const toRoom = (r: RoomRow): Room => ({
  id: r.id,
  concertId: r.concert_id,
  opensAtMs: num(r.opens_at_ms),
  maxActive: r.max_active,
  admitPerSecond: r.admit_per_second,
  paused: Boolean(r.paused),
  state: r.state,
  createdAtMs: Number(r.created_at_ms),
  updatedAtMs: Number(r.updated_at_ms),
  openedAtMs: num(r.opened_at_ms),
  closedAtMs: num(r.closed_at_ms),
});

const toEntry = (r: {
  id: number;
  room_id: number;
  token: string;
  user_id: number;
  arrived_at_ms: number;
  place: number | null;
  placed_at_ms: number | null;
}): PreQueueEntry => ({
  id: r.id,
  roomId: r.room_id,
  token: r.token,
  userId: r.user_id,
  arrivedAtMs: Number(r.arrived_at_ms),
  place: r.place,
  placedAtMs: num(r.placed_at_ms),
});

const CHUNK = 500;

/** The rooms (`queue_rooms`) and their pre-queues (`queue_prequeue`). */
@injectable()
export class RoomsRepository {
  constructor(@inject(PLATFORM.Database) private readonly db: ModuleDatabase) {}

  get direct(): Db {
    return this.db.direct;
  }

  /** Null when the concert already has a room that is not closed (the unique `live_concert_id` decides). */
  async insert(trx: Transaction, r: Omit<Room, 'id' | 'openedAtMs' | 'closedAtMs' | 'updatedAtMs'>): Promise<number | null> {
    const rows: Array<{ id: number }> = await trx('queue_rooms')
      .insert({
        concert_id: r.concertId,
        live_concert_id: r.concertId,
        opens_at_ms: r.opensAtMs,
        max_active: r.maxActive,
        admit_per_second: r.admitPerSecond,
        paused: r.paused,
        state: r.state,
        created_at_ms: r.createdAtMs,
        updated_at_ms: r.createdAtMs,
        opened_at_ms: r.state === 'OPEN' ? r.createdAtMs : null,
      })
      .onConflict('live_concert_id')
      .ignore()
      .returning('id');
    return rows[0]?.id ?? null;
  }

  async find(q: Db, id: number): Promise<Room | null> {
    const row: RoomRow | undefined = await q('queue_rooms').where({ id }).first();
    return row ? toRoom(row) : null;
  }

  /** Every room not closed, and the closed ones of the last day (for the list). */
  async list(q: Db, closedSinceMs: number): Promise<Room[]> {
    const rows: RoomRow[] = await q('queue_rooms').whereNot('state', 'CLOSED').orWhere('closed_at_ms', '>', closedSinceMs).orderBy('id');
    return rows.map(toRoom);
  }

  async anyRoom(q: Db): Promise<boolean> {
    return (await q('queue_rooms').first('id')) !== undefined;
  }

  async inForce(q: Db): Promise<Room[]> {
    const rows: RoomRow[] = await q('queue_rooms').whereNot('state', 'CLOSED').orderBy('id');
    return rows.map(toRoom);
  }

  /**
   * The rooms in force, each row locked until the transaction ends (a no-op update takes the row
   * lock on PostgreSQL; SQLite has one writer), so a room closed meanwhile is either seen closed or
   * closed after this transaction: an announcement is never published after its room's close.
   */
  async inForceLocked(trx: Transaction): Promise<Room[]> {
    await trx('queue_rooms')
      .whereNot('state', 'CLOSED')
      .update({ updated_at_ms: trx.raw('updated_at_ms') });
    return this.inForce(trx);
  }

  /** Changes a room if it is in one of `from`; returns whether it was. */
  async update(
    trx: Transaction,
    id: number,
    from: RoomState[],
    change: Partial<Pick<Room, 'opensAtMs' | 'maxActive' | 'admitPerSecond' | 'paused' | 'state' | 'openedAtMs' | 'closedAtMs'>>,
    nowMs: number,
  ): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at_ms: nowMs };
    if (change.opensAtMs !== undefined) set.opens_at_ms = change.opensAtMs;
    if (change.maxActive !== undefined) set.max_active = change.maxActive;
    if (change.admitPerSecond !== undefined) set.admit_per_second = change.admitPerSecond;
    if (change.paused !== undefined) set.paused = change.paused;
    if (change.state !== undefined) set.state = change.state;
    if (change.state === 'CLOSED') set.live_concert_id = null;
    if (change.openedAtMs !== undefined) set.opened_at_ms = change.openedAtMs;
    if (change.closedAtMs !== undefined) set.closed_at_ms = change.closedAtMs;
    const n = await trx('queue_rooms').where({ id }).whereIn('state', from).update(set);
    return Number(n) > 0;
  }

  /** Null when the user already holds a pre-queue token in this room. */
  async insertPreQueue(trx: Transaction, e: { roomId: number; token: string; userId: number; arrivedAtMs: number }): Promise<number | null> {
    const rows: Array<{ id: number }> = await trx('queue_prequeue')
      .insert({ room_id: e.roomId, token: e.token, user_id: e.userId, arrived_at_ms: e.arrivedAtMs })
      .onConflict(['room_id', 'user_id'])
      .ignore()
      .returning('id');
    return rows[0]?.id ?? null;
  }

  async preQueueOfUser(q: Db, roomId: number, userId: number): Promise<PreQueueEntry | null> {
    const row = await q('queue_prequeue').where({ room_id: roomId, user_id: userId }).first();
    return row ? toEntry(row) : null;
  }

  async preQueueByToken(q: Db, token: string): Promise<PreQueueEntry | null> {
    const row = await q('queue_prequeue').where({ token }).first();
    return row ? toEntry(row) : null;
  }

  async deletePreQueue(trx: Transaction, id: number): Promise<void> {
    await trx('queue_prequeue').where({ id }).whereNull('placed_at_ms').delete();
  }

  /** The entries not yet placed that arrived before `beforeMs`, in arrival order (what the shuffle orders). */
  async unshuffled(q: Db, roomId: number): Promise<Array<{ id: number; arrivedAtMs: number }>> {
    const rows: Array<{ id: number; arrived_at_ms: number }> = await q('queue_prequeue')
      .where({ room_id: roomId })
      .whereNull('place')
      .whereNull('placed_at_ms')
      .orderBy('id')
      .select('id', 'arrived_at_ms');
    return rows.map((r) => ({ id: r.id, arrivedAtMs: Number(r.arrived_at_ms) }));
  }

  /** Records the shuffle: entry → its place. */
  async recordPlaces(trx: Transaction, places: Array<{ id: number; place: number }>): Promise<void> {
    for (let i = 0; i < places.length; i += CHUNK) {
      const chunk = places.slice(i, i + CHUNK);
      // One statement per chunk: CASE id WHEN … THEN place … END.
      const cases = chunk.map(() => 'when ? then ?').join(' ');
      const bindings = chunk.flatMap((p) => [p.id, p.place]);
      await trx('queue_prequeue')
        .whereIn(
          'id',
          chunk.map((p) => p.id),
        )
        .update({ place: trx.raw(`cast(case id ${cases} end as integer)`, bindings) });
    }
  }

  /**
   * The next entries to place, in queue order: the shuffled ones by their place, then those that
   * arrived during the opening (no place) in arrival order.
   */
  async nextToPlace(q: Db, roomId: number, limit: number): Promise<PreQueueEntry[]> {
    const shuffled = await q('queue_prequeue').where({ room_id: roomId }).whereNull('placed_at_ms').whereNotNull('place').orderBy('place').limit(limit);
    if (shuffled.length > 0) return shuffled.map(toEntry);
    const late = await q('queue_prequeue').where({ room_id: roomId }).whereNull('placed_at_ms').whereNull('place').orderBy('id').limit(limit);
    return late.map(toEntry);
  }

  async markPlaced(trx: Transaction, ids: number[], nowMs: number): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK)
      await trx('queue_prequeue')
        .whereIn('id', ids.slice(i, i + CHUNK))
        .update({ placed_at_ms: nowMs });
  }

  async countUnplaced(q: Db, roomId: number): Promise<number> {
    const row = await q('queue_prequeue').where({ room_id: roomId }).whereNull('placed_at_ms').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /**
   * The rooms where the user holds a place: a live token of a room that is not closed, or a
   * pre-queue entry not yet placed (the default room, 0, is not counted).
   */
  async roomsOfUser(q: Db, userId: number): Promise<number[]> {
    const live: Array<{ room_id: number }> = await q('queue_tokens as t')
      .join('queue_rooms as r', 'r.id', 't.room_id')
      .where({ 't.live_user_id': userId })
      .whereNot('r.state', 'CLOSED')
      .select('t.room_id');
    const pre: Array<{ room_id: number }> = await q('queue_prequeue as p')
      .join('queue_rooms as r', 'r.id', 'p.room_id')
      .where({ 'p.user_id': userId })
      .whereNull('p.placed_at_ms')
      .whereNot('r.state', 'CLOSED')
      .select('p.room_id');
    return [...live, ...pre].map((r) => r.room_id);
  }
}
