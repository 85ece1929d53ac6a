import { ReservationErrors } from '../reservation.errors';

/** The row that says a seat is taken: HELD until a time, or CONFIRMED (sold). */
export interface SeatClaim {
  scheduleId: number;
  seatId: number;
  reservationId: number;
  status: 'HELD' | 'CONFIRMED';
  expiresAtMs: number | null;
}

/**
 * Whether a user may hold a seat now, given the seat's current claim and the user's live holds.
 * A HELD claim whose time and payment grace (`graceMs` past its expiry) are up does not block the
 * seat: it is taken over, and the hold behind it (`staleHoldId`) is expired on the spot rather
 * than left for the sweeper. During the grace the seat stays the holder's (SEAT_UNAVAILABLE), so
 * a payment made before the expiry can still confirm it.
 *
 * `liveHoldsOfUser` counts holds whose time is not up: a hold in its grace no longer counts
 * towards the limit, since it is no longer the user's to pay (the payment module refuses it).
 */
export function checkSeatCanBeHeld(
  claim: SeatClaim | null,
  liveHoldsOfUser: number,
  maxHoldsPerUser: number,
  nowMs: number,
  graceMs: number,
): { staleHoldId: number | null } {
  const stale = claim !== null && claim.status === 'HELD' && claim.expiresAtMs !== null && claim.expiresAtMs + graceMs <= nowMs;
  if (claim && !stale) throw ReservationErrors.seatUnavailable();
  if (liveHoldsOfUser >= maxHoldsPerUser) throw ReservationErrors.holdLimitReached(liveHoldsOfUser, maxHoldsPerUser);
  return { staleHoldId: claim && stale ? claim.reservationId : null };
}
