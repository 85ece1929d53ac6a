import { iso, type Reservation } from './reservation.aggregate';
import type { ReservationStatus } from './reservation.events';

/** What the API shows of a reservation (`reservationViewSchema` in reservation.schemas.ts documents it). */
export interface ReservationView {
  id: number;
  status: ReservationStatus;
  userId: number;
  concertId: number;
  scheduleId: number;
  seatId: number;
  seatLabel: string;
  price: number;
  expiresAt: string;
  paymentId: number | null;
  confirmedAt: string | null;
  createdAt: string;
}

/**
 * The entity tag of a reservation's representation: its stream version, plus the status as read
 * (a hold whose time is up reads EXPIRED before the sweeper records it, with no new version).
 */
export const reservationEtag = (version: number, status: ReservationView['status']): string => `"${version}.${status}"`;

export function viewFromAggregate(r: Reservation, nowMs: number): ReservationView {
  const s = r.state;
  return {
    id: r.id,
    status: r.effectiveStatus(nowMs),
    userId: s.userId,
    concertId: s.concertId,
    scheduleId: s.scheduleId,
    seatId: s.seatId,
    seatLabel: s.seatLabel,
    price: s.price,
    expiresAt: iso(s.expiresAtMs),
    paymentId: s.paymentId,
    confirmedAt: s.confirmedAtMs === null ? null : iso(s.confirmedAtMs),
    createdAt: iso(s.createdAtMs),
  };
}
