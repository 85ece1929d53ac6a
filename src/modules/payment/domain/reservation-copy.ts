import { notPayable, type PayRefusal } from './payment';

export type CopyStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';
export type MovedStatus = Exclude<CopyStatus, 'HELD'>;

/** What the module knows about a reservation from the reservation events. */
export interface ReservationCopy {
  reservationId: number;
  userId: number;
  /** Null while only a later event (expiry, cancellation) has arrived, not the hold itself. */
  amount: number | null;
  expiresAtMs: number | null;
  status: CopyStatus;
}

/** Which status an event may move a copy from, so events arriving out of order cannot undo a later state. */
export const MOVES_FROM: Record<MovedStatus, readonly CopyStatus[]> = {
  CONFIRMED: ['HELD'],
  EXPIRED: ['HELD'],
  CANCELLED: ['HELD', 'CONFIRMED'],
};

/** Whether the caller may pay this reservation, as far as the module's own copy tells. */
export type Payability =
  /** No copy of the caller's: someone else's reservation is answered like an unknown one, with no hint that it exists. */
  { kind: 'unknown' } | { kind: 'not-payable'; detail: string } | { kind: 'payable'; amount: number };

/** `/payments/process`: only the caller's own hold, not yet expired by the clock. */
export function payabilityFor(copy: ReservationCopy | null, userId: number, reservationId: number, nowMs: number): Payability {
  if (!copy || copy.userId !== userId) return { kind: 'unknown' };
  if (copy.status !== 'HELD' || copy.amount === null || copy.expiresAtMs === null) {
    return { kind: 'not-payable', detail: `Reservation ${reservationId} is ${copy.status === 'HELD' ? 'not payable' : copy.status}.` };
  }
  if (copy.expiresAtMs <= nowMs) return { kind: 'not-payable', detail: `The hold on reservation ${reservationId} has expired.` };
  return { kind: 'payable', amount: copy.amount };
}

/**
 * The orchestrated saga's pay command carries owner, amount and expiry, so no copy is needed;
 * but the copy may know more (an expiry or cancellation already seen). Null: it may be paid.
 */
export function sagaPayRefusal(reservationId: number, expiresAt: string, copy: ReservationCopy | null, nowMs: number): PayRefusal | null {
  const expiresAtMs = Date.parse(expiresAt);
  if (Number.isNaN(expiresAtMs) || expiresAtMs <= nowMs) return notPayable(`The hold on reservation ${reservationId} has expired.`);
  if (copy && copy.status !== 'HELD') return notPayable(`Reservation ${reservationId} is ${copy.status}.`);
  return null;
}
