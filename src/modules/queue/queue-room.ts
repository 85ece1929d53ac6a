/**
 * Which waiting room a store, its index and its repository serve (ADR 0012). Room 0 is the default
 * room (every concert without a room of its own, and every client that names no concert); every
 * other room is one row of `queue_rooms`, with its own queue, flow and pre-queue. The module's
 * container binds the default room; each room gets a child container that binds its own.
 */
export interface RoomScope {
  roomId: number;
  /** The concert whose passes this room issues; null for the default room. */
  concertId: number | null;
}

export const DEFAULT_ROOM: RoomScope = { roomId: 0, concertId: null };

export const QUEUE_ROOM = Symbol.for('queue.Room');
