import { activePollAfterSeconds, estimatedWaitSeconds, waitingPollAfterSeconds } from './admission-rules';
import { preQueuePollAfterSeconds, secondsUntilOpening } from './room';

/** What `POST /queue/token` and `GET /queue/status` answer (queue.schemas.ts documents it). */
export interface TicketView {
  token: string;
  status: 'PRE_QUEUE' | 'WAITING' | 'ACTIVE' | 'EXPIRED' | 'COMPLETED';
  /** 1-based place among waiting tokens; 0 unless WAITING. */
  position: number;
  estimatedWaitSeconds: number;
  /** 0: nothing left to wait for. */
  pollAfterSeconds: number;
  /** Only when ACTIVE. */
  pass?: { token: string; expiresAt: string };
  /** Only in the pre-queue: when the sale opens (every pre-queue token then gets a random place). */
  opensAt?: string;
}

/** Before the opening: no position yet; the wait is the time until the opening, and the client polls again then. */
export function preQueueView(token: string, opensAtMs: number | null, nowMs: number): TicketView {
  return {
    token,
    status: 'PRE_QUEUE',
    position: 0,
    estimatedWaitSeconds: secondsUntilOpening(opensAtMs, nowMs),
    pollAfterSeconds: preQueuePollAfterSeconds(opensAtMs, nowMs),
    opensAt: new Date(opensAtMs ?? nowMs).toISOString(),
  };
}

/** What `GET /admin/queue` answers. */
export interface QueueOverview {
  waiting: number;
  active: number;
  maxActive: number;
  admitPerSecond: number;
  admissionsPerMinute: number;
  oldestWaitSeconds: number;
  estimatedAdmissionsPerSecond: number;
  /** The estimated wait of the last in line (0 when nobody waits), as its own status poll would say. */
  lastInLineWaitSeconds: number;
  activeTtlSeconds: number;
  waitingIdleSeconds: number;
  defaults: { maxActive: number; admitPerSecond: number };
}

export function waitingView(token: string, position: number, expectedRate: number, waitingIdleSeconds: number): TicketView {
  const wait = estimatedWaitSeconds(position, expectedRate);
  return { token, status: 'WAITING', position, estimatedWaitSeconds: wait, pollAfterSeconds: waitingPollAfterSeconds(wait, waitingIdleSeconds) };
}

export function activeView(token: string, pass: string, expiresAtMs: number, nowMs: number): TicketView {
  return {
    token,
    status: 'ACTIVE',
    position: 0,
    estimatedWaitSeconds: 0,
    pollAfterSeconds: activePollAfterSeconds(expiresAtMs, nowMs),
    pass: { token: pass, expiresAt: new Date(expiresAtMs).toISOString() },
  };
}

export function endedView(token: string, status: 'EXPIRED' | 'COMPLETED'): TicketView {
  return { token, status, position: 0, estimatedWaitSeconds: 0, pollAfterSeconds: 0 };
}

/** Head of the queue's wait in whole seconds (0 when nobody waits). */
export function oldestWaitSeconds(oldestWaitingSinceMs: number | null, nowMs: number): number {
  return oldestWaitingSinceMs === null ? 0 : Math.max(0, Math.floor((nowMs - oldestWaitingSinceMs) / 1000));
}
