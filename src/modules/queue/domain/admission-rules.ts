/**
 * The waiting room's rules, as pure functions of the numbers they need (the time, the limits, the
 * counts). They decide; the caller (infrastructure/live-queue.ts and the use cases) writes the
 * decision in a transaction and applies it to the index. None of them allocates: the status poll
 * runs them on every request.
 */

/** Longest advised poll interval (Cloudflare's waiting room refreshes every 20 s). */
export const MAX_POLL_SECONDS = 20;
/** A poll is "much faster than advised" when it comes before this share of the advised interval. */
export const POLL_TOLERANCE = 0.5;

/** How many may shop at once and how many may be let in per second: configured, overridden by an operator at run time. */
export interface Flow {
  readonly maxActive: number;
  readonly admitPerSecond: number;
}

/** An operator's overrides; `null` means the configured value. */
export interface FlowOverrides {
  readonly maxActive: number | null;
  readonly admitPerSecond: number | null;
}

export function effectiveFlow(configured: Flow, overrides: FlowOverrides): Flow {
  return { maxActive: overrides.maxActive ?? configured.maxActive, admitPerSecond: overrides.admitPerSecond ?? configured.admitPerSecond };
}

/** An operator's change: an absent field keeps the current override, `null` restores the configured value. */
export function nextOverrides(current: FlowOverrides, patch: { maxActive?: number | null; admitPerSecond?: number | null }): FlowOverrides {
  return {
    maxActive: patch.maxActive === undefined ? current.maxActive : patch.maxActive,
    admitPerSecond: patch.admitPerSecond === undefined ? current.admitPerSecond : patch.admitPerSecond,
  };
}

/**
 * An admission round: how many of the head of the queue go in now. Never past the cap on
 * concurrent shoppers, never past `allowance` (what the per-second window and the pacing leave,
 * `AdmissionMeter.allowance`), never more than are waiting. Zero or less: nobody.
 */
export function admissionsDue(maxActive: number, active: number, allowance: number, waiting: number): number {
  return Math.min(maxActive - active, allowance, waiting);
}

/**
 * A batch of joins arriving together: how many of its `newcomers` (the first ones, in arrival
 * order) are ACTIVE at once. FIFO: only an empty queue lets a newcomer straight in, and only
 * within both limits; once one newcomer has to wait, everyone after them waits too.
 */
export function joinAdmitsAtOnce(newcomers: number, waiting: number, active: number, maxActive: number, allowance: number): number {
  if (waiting > 0) return 0;
  return Math.max(0, Math.min(newcomers, maxActive - active, allowance));
}

/** A live ticket as far as its end is concerned. */
export interface TicketClock {
  readonly status: 'WAITING' | 'ACTIVE';
  readonly lastSeenMs: number;
  /** ACTIVE only. */
  readonly expiresAtMs: number | null;
}

/** Past its idle limit (waiting) or its pass expiry (active): as good as ended, even before a round drops it. */
export function isOver(t: TicketClock, nowMs: number, waitingIdleSeconds: number): boolean {
  if (t.status === 'WAITING') return nowMs - t.lastSeenMs >= waitingIdleSeconds * 1000;
  return nowMs >= (t.expiresAtMs ?? 0);
}

/** Waiting tickets last seen at or before this time are dropped (`IDLE`) by the next round. */
export function idleCutoffMs(nowMs: number, waitingIdleSeconds: number): number {
  return nowMs - waitingIdleSeconds * 1000;
}

/** Pass expiry on a whole second, so the pass (JWT `exp` has second precision) and the slot end together. */
export function passExpiryMs(nowMs: number, activeTtlSeconds: number): number {
  return Math.floor((nowMs + activeTtlSeconds * 1000) / 1000) * 1000;
}

/** Slots free at least as passes expire, so the admission rate never falls below this in the long run. */
export function admissionRateFloor(maxActive: number, admitPerSecond: number, activeTtlSeconds: number): number {
  return Math.min(admitPerSecond, maxActive / activeTtlSeconds);
}

/** One admission an hour: the slowest rate an estimate assumes. */
export const MIN_EXPECTED_RATE = 1 / 3600;

/** Position ÷ expected admissions per second (`AdmissionMeter.expectedRate`, which the floor bounds below). */
export function estimatedWaitSeconds(position: number, expectedRate: number): number {
  // A paused room admits nobody (its floor is 0): the estimate stays a finite, long wait.
  return Math.ceil(position / Math.max(expectedRate, MIN_EXPECTED_RATE));
}

/** While waiting: grows with the wait, and stays well inside the idle limit so a well-behaved client is never dropped. */
export function waitingPollAfterSeconds(estimatedWait: number, waitingIdleSeconds: number): number {
  const maxPoll = clamp(Math.floor(waitingIdleSeconds / 3), 1, MAX_POLL_SECONDS);
  return clamp(Math.ceil(estimatedWait / 10), 1, maxPoll);
}

/** While active: the seconds left on the pass, at most the longest interval. */
export function activePollAfterSeconds(expiresAtMs: number, nowMs: number): number {
  return clamp(Math.ceil((expiresAtMs - nowMs) / 1000), 1, MAX_POLL_SECONDS);
}

/**
 * The polling discipline: a poll sooner than `POLL_TOLERANCE` of the interval advised by the last
 * answer is refused; the answer is the seconds until the advised time (at least 1). Null: answer it.
 */
export function pollRetryAfterSeconds(lastPollMs: number | null, advisedPollMs: number, nowMs: number): number | null {
  if (lastPollMs === null || nowMs - lastPollMs >= advisedPollMs * POLL_TOLERANCE) return null;
  return Math.max(1, Math.ceil((lastPollMs + advisedPollMs - nowMs) / 1000));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
