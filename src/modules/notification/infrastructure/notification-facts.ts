import { inject, injectable } from 'inversify';
import type { Db } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { TicketCodes } from '../../../platform/tickets/ticket-codes';
import { DEFAULT_LOCALE, type Locale, type NotificationFacts, type StoredNotification } from '../domain/notification';
import { Projections, type Recipient } from './projections.repository';

export interface Gathered {
  facts: NotificationFacts;
  locale: Locale;
  /** Null while this module has not heard of the user (their registration event is on its way). */
  recipient: Recipient | null;
}

/**
 * Gathers, for a batch of notifications, what their messages say: the concert, schedule, seat and
 * amount from the module's copies as they are now (so a catalogue event that arrived after the
 * reservation event still fills them in), the user's language and address, and for a
 * confirmation its e-ticket code.
 */
@injectable()
export class NotificationFactsReader {
  constructor(
    @inject(Projections) private readonly projections: Projections,
    @inject(PLATFORM.TicketCodes) private readonly tickets: TicketCodes,
  ) {}

  async gather(q: Db, notifications: StoredNotification[]): Promise<Map<number, Gathered>> {
    const reservations = await this.projections.reservations(q, unique(notifications.map((n) => n.reservationId)));
    const seats = await this.projections.seats(q, unique([...reservations.values()].map((r) => r.seatId)));
    const scheduleIdOf = (reservationId: number): number | null => {
      const r = reservations.get(reservationId);
      return r?.scheduleId ?? (r?.seatId ? (seats.get(r.seatId)?.scheduleId ?? null) : null);
    };
    const schedules = await this.projections.schedules(q, unique(notifications.map((n) => scheduleIdOf(n.reservationId))));
    const users = await this.projections.users(q, unique(notifications.map((n) => n.userId)));
    const out = new Map<number, Gathered>();
    for (const n of notifications) {
      const r = reservations.get(n.reservationId);
      const seat = r?.seatId ? seats.get(r.seatId) : undefined;
      const scheduleId = scheduleIdOf(n.reservationId);
      const schedule = scheduleId === null ? undefined : schedules.get(scheduleId);
      const recipient = users.get(n.userId) ?? null;
      const ticketCode =
        n.type === 'CONFIRMED' && r?.scheduleId && r.seatId
          ? this.tickets.issue({ reservationId: n.reservationId, scheduleId: r.scheduleId, seatId: r.seatId, holderId: r.userId })
          : null;
      out.set(n.id, {
        facts: {
          concertTitle: schedule?.title ?? null,
          artist: schedule?.artist ?? null,
          venue: schedule?.venue ?? null,
          startsAt: schedule?.startsAt ?? null,
          seatLabel: r?.seatLabel ?? seat?.label ?? null,
          amount: n.amount ?? r?.price ?? seat?.price ?? null,
          ticketCode,
        },
        locale: recipient?.locale ?? DEFAULT_LOCALE,
        recipient,
      });
    }
    return out;
  }
}

function unique(ids: Array<number | null | undefined>): number[] {
  return [...new Set(ids.filter((id): id is number => typeof id === 'number'))];
}
