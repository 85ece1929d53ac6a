import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';
import { DEFAULT_LOCALE, LOCALES, type Locale } from '../domain/notification';

export interface Recipient {
  userId: number;
  email: string;
  name: string;
  locale: Locale;
}

export interface ScheduleCopy {
  scheduleId: number;
  concertId: number;
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  seats: Array<{ seatId: number; label: string; price: number }>;
}

/** What one reservation event tells of its reservation; unknown fields stay as they were. */
export interface ReservationFactsChange {
  reservationId: number;
  userId: number;
  scheduleId?: number;
  seatId?: number;
  seatLabel?: string;
  price?: number;
  confirmedAtMs?: number;
}

export interface ReservationCopy {
  reservationId: number;
  userId: number;
  scheduleId: number | null;
  seatId: number | null;
  seatLabel: string | null;
  price: number | null;
  confirmedAtMs: number | null;
  revokedAtMs: number | null;
}

export interface SeatCopy {
  seatId: number;
  scheduleId: number;
  label: string;
  price: number;
}

interface ReservationRow {
  reservation_id: number;
  user_id: number;
  schedule_id: number | null;
  seat_id: number | null;
  seat_label: string | null;
  price: number | null;
  confirmed_at_ms: number | string | null;
  revoked_at_ms: number | string | null;
}
interface SeatRow {
  seat_id: number;
  schedule_id: number;
  label: string;
  price: number;
}
interface ScheduleRow {
  schedule_id: number;
  concert_id: number;
  title: string;
  artist: string;
  venue: string;
  starts_at: string;
}
interface UserRow {
  user_id: number;
  email: string;
  name: string;
  locale: string;
}

export const asLocale = (value: string | null | undefined): Locale =>
  (LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE;

/**
 * The module's copies of what other modules announce: users (auth.user.registered), schedules
 * and seats (concert.schedule.published), reservations (the reservation events). Events of
 * different aggregates arrive in no particular order, so each copy is merged field by field and
 * read when a notification is shown or sent, never frozen into it.
 */
@injectable()
export class Projections {
  async upsertUser(trx: Transaction, user: Recipient): Promise<void> {
    await trx('nt_users').insert({ user_id: user.userId, email: user.email, name: user.name, locale: user.locale }).onConflict('user_id').merge();
  }

  async upsertSchedule(trx: Transaction, s: ScheduleCopy): Promise<void> {
    await trx('nt_schedules')
      .insert({ schedule_id: s.scheduleId, concert_id: s.concertId, title: s.title, artist: s.artist, venue: s.venue, starts_at: s.startsAt })
      .onConflict('schedule_id')
      .merge();
    // In chunks: a schedule may have thousands of seats.
    for (let i = 0; i < s.seats.length; i += 200) {
      const rows = s.seats.slice(i, i + 200).map((seat) => ({ seat_id: seat.seatId, schedule_id: s.scheduleId, label: seat.label, price: seat.price }));
      await trx('nt_seats').insert(rows).onConflict('seat_id').merge();
    }
  }

  async noteReservation(trx: Transaction, change: ReservationFactsChange): Promise<void> {
    const known: Record<string, number | string> = {};
    if (change.scheduleId !== undefined) known.schedule_id = change.scheduleId;
    if (change.seatId !== undefined) known.seat_id = change.seatId;
    if (change.seatLabel !== undefined) known.seat_label = change.seatLabel;
    if (change.price !== undefined) known.price = change.price;
    if (change.confirmedAtMs !== undefined) known.confirmed_at_ms = change.confirmedAtMs;
    const insert = trx('nt_reservations')
      .insert({ reservation_id: change.reservationId, user_id: change.userId, ...known })
      .onConflict('reservation_id');
    await (Object.keys(known).length === 0 ? insert.ignore() : insert.merge(Object.keys(known)));
  }

  /** The ticket of a cancelled-after-confirmation or refunded reservation no longer admits; the first revocation's time stays. */
  async revoke(trx: Transaction, reservationId: number, userId: number, atMs: number): Promise<void> {
    await trx('nt_reservations').insert({ reservation_id: reservationId, user_id: userId }).onConflict('reservation_id').ignore();
    await trx('nt_reservations').where({ reservation_id: reservationId }).whereNull('revoked_at_ms').update({ revoked_at_ms: atMs });
  }

  async reservation(q: Db, reservationId: number): Promise<ReservationCopy | null> {
    const rows = await this.reservations(q, [reservationId]);
    return rows.get(reservationId) ?? null;
  }

  async reservations(q: Db, ids: number[]): Promise<Map<number, ReservationCopy>> {
    if (ids.length === 0) return new Map();
    const rows: ReservationRow[] = await q('nt_reservations').whereIn('reservation_id', ids);
    return new Map(
      rows.map((r) => [
        r.reservation_id,
        {
          reservationId: r.reservation_id,
          userId: r.user_id,
          scheduleId: r.schedule_id ?? null,
          seatId: r.seat_id ?? null,
          seatLabel: r.seat_label ?? null,
          price: r.price ?? null,
          confirmedAtMs: r.confirmed_at_ms === null ? null : Number(r.confirmed_at_ms),
          revokedAtMs: r.revoked_at_ms === null ? null : Number(r.revoked_at_ms),
        },
      ]),
    );
  }

  async seats(q: Db, ids: number[]): Promise<Map<number, SeatCopy>> {
    if (ids.length === 0) return new Map();
    const rows: SeatRow[] = await q('nt_seats').whereIn('seat_id', ids);
    return new Map(rows.map((r) => [r.seat_id, { seatId: r.seat_id, scheduleId: r.schedule_id, label: r.label, price: r.price }]));
  }

  async schedules(q: Db, ids: number[]): Promise<Map<number, Omit<ScheduleCopy, 'seats'>>> {
    if (ids.length === 0) return new Map();
    const rows: ScheduleRow[] = await q('nt_schedules').whereIn('schedule_id', ids);
    return new Map(
      rows.map((r) => [
        r.schedule_id,
        { scheduleId: r.schedule_id, concertId: r.concert_id, title: r.title, artist: r.artist, venue: r.venue, startsAt: r.starts_at },
      ]),
    );
  }

  async users(q: Db, ids: number[]): Promise<Map<number, Recipient>> {
    if (ids.length === 0) return new Map();
    const rows: UserRow[] = await q('nt_users').whereIn('user_id', ids);
    return new Map(rows.map((r) => [r.user_id, { userId: r.user_id, email: r.email, name: r.name, locale: asLocale(r.locale) }]));
  }
}
