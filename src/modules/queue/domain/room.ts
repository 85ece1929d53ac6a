/**
 * Waiting rooms per on-sale (ADR 0012), as pure rules: a room's phase at a given time, the
 * pre-queue's shuffle at the opening, and the per-user room limit. No I/O: the random source is
 * given (the caller passes `crypto.randomInt`), so the rules are tested with any.
 */

/** SCHEDULED: before its opening (joins form the pre-queue); OPENING: shuffled, its tokens being placed; OPEN; CLOSED. */
export type RoomState = 'SCHEDULED' | 'OPENING' | 'OPEN' | 'CLOSED';

export interface Room {
  id: number;
  concertId: number;
  /** Null: no pre-queue, open from its creation. */
  opensAtMs: number | null;
  maxActive: number;
  admitPerSecond: number;
  paused: boolean;
  state: RoomState;
  createdAtMs: number;
  updatedAtMs: number;
  openedAtMs: number | null;
  closedAtMs: number | null;
}

/** Where a join to this room goes now: the pre-queue (before the opening has finished placing it), or the queue itself. */
export function joinGoesToPreQueue(room: Pick<Room, 'state'>): boolean {
  return room.state === 'SCHEDULED' || room.state === 'OPENING';
}

/** The opening job opens a scheduled room once its time has come. */
export function isDueToOpen(room: Pick<Room, 'state' | 'opensAtMs'>, nowMs: number): boolean {
  return room.state === 'SCHEDULED' && (room.opensAtMs === null || room.opensAtMs <= nowMs);
}

/** A new room: scheduled when it opens in the future, open at once otherwise. */
export function initialRoomState(opensAtMs: number | null, nowMs: number): RoomState {
  return opensAtMs !== null && opensAtMs > nowMs ? 'SCHEDULED' : 'OPEN';
}

/** What the admin may change in each state: the opening only before it. */
export function canReschedule(room: Pick<Room, 'state'>): boolean {
  return room.state === 'SCHEDULED';
}

/**
 * The flow a room's queue runs with: paused, nobody new is let in (no slot is free), while those
 * already in keep shopping until their pass ends.
 */
export function roomFlow(room: Pick<Room, 'maxActive' | 'admitPerSecond' | 'paused'>): { maxActive: number; admitPerSecond: number } {
  return { maxActive: room.paused ? 0 : room.maxActive, admitPerSecond: room.admitPerSecond };
}

/**
 * A uniformly random order of `items` (Fisher–Yates): `randomInt(n)` must be uniform on 0…n−1
 * (`crypto.randomInt`), and then every one of the n! orders is equally likely, whatever the
 * arrival order was. Returns a new array.
 */
export function shuffled<T>(items: readonly T[], randomInt: (maxExclusive: number) => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A user may hold places (a live or pre-queue token) in at most `limit` rooms; a room where they already hold one does not count twice. */
export function exceedsRoomLimit(roomsHeld: readonly number[], joining: number, limit: number): boolean {
  return !roomsHeld.includes(joining) && new Set(roomsHeld).size >= limit;
}

/** While in the pre-queue: poll again at the opening (at most every 20 s, at least every second). */
export function preQueuePollAfterSeconds(opensAtMs: number | null, nowMs: number): number {
  if (opensAtMs === null) return 1;
  return Math.min(20, Math.max(1, Math.ceil((opensAtMs - nowMs) / 1000)));
}

/** Seconds until the opening (0 once it has come). */
export function secondsUntilOpening(opensAtMs: number | null, nowMs: number): number {
  return opensAtMs === null ? 0 : Math.max(0, Math.ceil((opensAtMs - nowMs) / 1000));
}
