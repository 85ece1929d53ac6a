import type { Room } from './room';

/** What the room routes answer (queue.schemas.ts documents it). */
export interface RoomView {
  id: number;
  concertId: number;
  opensAt: string | null;
  maxActive: number;
  admitPerSecond: number;
  paused: boolean;
  state: Room['state'];
  createdAt: string;
  openedAt: string | null;
  closedAt: string | null;
  /** Tokens in the pre-queue not yet placed in the queue. */
  preQueue: number;
  waiting: number;
  active: number;
  /** Admissions in the last 60 seconds. */
  admissionsPerMinute: number;
  /** The admission rate the room's estimates use (its observed average, within its flow). */
  estimatedAdmissionsPerSecond: number;
  /** The estimated wait of the last in line (0 when nobody waits), as its own status poll would say. */
  lastInLineWaitSeconds: number;
  /** How long the head of the room's queue has been waiting. */
  oldestWaitSeconds: number;
}

/** What the room's own store says of its flow now (all 0 for a closed room). */
export type RoomFigures = Pick<
  RoomView,
  'preQueue' | 'waiting' | 'active' | 'admissionsPerMinute' | 'estimatedAdmissionsPerSecond' | 'lastInLineWaitSeconds' | 'oldestWaitSeconds'
>;

export const CLOSED_ROOM_FIGURES: RoomFigures = {
  preQueue: 0,
  waiting: 0,
  active: 0,
  admissionsPerMinute: 0,
  estimatedAdmissionsPerSecond: 0,
  lastInLineWaitSeconds: 0,
  oldestWaitSeconds: 0,
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function roomView(room: Room, counts: RoomFigures): RoomView {
  return {
    id: room.id,
    concertId: room.concertId,
    opensAt: iso(room.opensAtMs),
    maxActive: room.maxActive,
    admitPerSecond: room.admitPerSecond,
    paused: room.paused,
    state: room.state,
    createdAt: new Date(room.createdAtMs).toISOString(),
    openedAt: iso(room.openedAtMs),
    closedAt: iso(room.closedAtMs),
    ...counts,
  };
}
