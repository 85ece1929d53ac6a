/**
 * The seat map's rules: how one reservation's claim on its seat moves, and what status a seat
 * shows given the claims on it. Pure: the projection in infrastructure/ reads and writes them.
 */

export const SEAT_STATUSES = ['AVAILABLE', 'HELD', 'SOLD'] as const;
export type SeatStatus = (typeof SEAT_STATUSES)[number];

/** What a reservation event says about its seat. */
export type ClaimTransition = 'held' | 'sold' | 'expired' | 'cancelled';
/** What the seat map knows about one reservation's claim on its seat. */
export type ClaimState = 'HELD' | 'SOLD' | 'RELEASED';

/** A seat as the map shows it: its status and the reservation giving it (null when AVAILABLE). */
export interface SeatClaimStatus {
  status: SeatStatus;
  claimedBy: number | null;
}

/** Released claims are kept this long to absorb late or redelivered events, then purged. */
export const RELEASED_CLAIM_RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * A reservation's claim only moves forward, whatever order its events arrive in (each event
 * type has its own subscriber, so even one reservation's events can be handled out of order
 * after a retry): HELD → SOLD → RELEASED, or HELD → RELEASED. An expiry never un-sells a seat;
 * only the cancellation of the sold reservation releases it. A late `held` after the
 * reservation's end finds the RELEASED claim and changes nothing.
 */
export function nextClaimState(current: ClaimState | null, transition: ClaimTransition): ClaimState {
  switch (transition) {
    case 'held':
      return current ?? 'HELD';
    case 'sold':
      return current === null || current === 'HELD' ? 'SOLD' : current;
    case 'expired':
      return current === 'SOLD' ? 'SOLD' : 'RELEASED';
    case 'cancelled':
      return 'RELEASED';
  }
}

/**
 * A seat's status from the live claims on it: SOLD if any reservation bought it, else HELD if
 * any holds it, else AVAILABLE. Two live claims on one seat only exist while a freeing event of
 * an older reservation is still on its way (the reservation module allows one live hold per
 * seat); the newest reservation is shown as the holder.
 */
export function seatStatusFrom(claims: Array<{ reservationId: number; state: ClaimState }>): SeatClaimStatus {
  const pick = (state: ClaimState) =>
    claims.filter((c) => c.state === state).reduce<number | null>((max, c) => (max === null || c.reservationId > max ? c.reservationId : max), null);
  const sold = pick('SOLD');
  if (sold !== null) return { status: 'SOLD', claimedBy: sold };
  const held = pick('HELD');
  if (held !== null) return { status: 'HELD', claimedBy: held };
  return { status: 'AVAILABLE', claimedBy: null };
}

/**
 * The seat's status after one reservation's claim becomes HELD or SOLD, from the seat's status
 * alone: a claim that takes or upgrades can only add to what `seatStatusFrom` already chose (SOLD
 * over HELD, the newest reservation among equals), so the other claims need not be read. Only a
 * release can uncover another claim.
 */
export function seatStatusAfterClaim(seat: SeatClaimStatus, reservationId: number, next: 'HELD' | 'SOLD'): SeatClaimStatus {
  const newest = (other: number | null) => (other === null || reservationId > other ? reservationId : other);
  if (next === 'SOLD') return seat.status === 'SOLD' ? { status: 'SOLD', claimedBy: newest(seat.claimedBy) } : { status: 'SOLD', claimedBy: reservationId };
  if (seat.status === 'SOLD') return seat;
  return seat.status === 'HELD' ? { status: 'HELD', claimedBy: newest(seat.claimedBy) } : { status: 'HELD', claimedBy: reservationId };
}
