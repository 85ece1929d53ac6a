import { z } from 'zod';
import { effectiveStatus, iso, type Reservation } from './domain/reservation.aggregate';
import type { ReservationRow } from './infrastructure/reservation.repository';


/** What the API shows of a reservation (the same schema documents it). */
export const reservationViewSchema = z.object({
  id: z.number().int(),
  status: z.enum(['HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED']),
  userId: z.number().int(),
  concertId: z.number().int(),
  scheduleId: z.number().int(),
  seatId: z.number().int(),
  seatLabel: z.string(),
  price: z.number().int(),
  expiresAt: z.string(),
  paymentId: z.number().int().nullable(),
  confirmedAt: z.string().nullable(),
  createdAt: z.string(),
});

export type ReservationView = z.infer<typeof reservationViewSchema>;

/**
 * The entity tag of a reservation's representation: its stream version, plus the status as read
 * (a hold whose time is up reads EXPIRED before the sweeper records it, with no new version).
 */
export const reservationEtag = (version: number, status: ReservationView['status']): string => `"${version}.${status}"`;

export function viewFromRow(row: ReservationRow, nowMs: number): ReservationView {
  return {
    id: row.id,
    // A hold whose time is up reads EXPIRED at once, before the sweeper records it.
    status: effectiveStatus(row.status, Number(row.expires_at_ms), nowMs),
    userId: row.user_id,
    concertId: row.concert_id,
    scheduleId: row.schedule_id,
    seatId: row.seat_id,
    seatLabel: row.seat_label,
    price: row.price,
    expiresAt: iso(Number(row.expires_at_ms)),
    paymentId: row.payment_id ?? null,
    confirmedAt: row.confirmed_at_ms == null ? null : iso(Number(row.confirmed_at_ms)),
    createdAt: iso(Number(row.created_at_ms)),
  };
}

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
