import { inject, injectable } from 'inversify';
import { z } from 'zod';
import type { Clock } from '../../../platform/clock/clock';
import { AppError } from '../../../platform/http/app-error';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { iso } from '../domain/reservation.aggregate';
import type { ReservationEventType } from '../domain/reservation.events';
import type { ReservationRepository } from '../infrastructure/reservation.repository';
import { RESERVATION } from '../reservation.di-tokens';
import { viewFromRow, type ReservationView } from '../reservation.view';

export const reservationIdParams = z.strictObject({ id: z.coerce.number().int('must be an integer').positive('must be a positive integer').max(Number.MAX_SAFE_INTEGER) });

export const listReservationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Cursor: only reservations with a smaller id (the `nextBefore` of the previous page). */
  before: z.coerce.number().int().positive().optional(),
});

export const reservationNotFound = (id: number) => new AppError(404, 'RESERVATION_NOT_FOUND', 'Reservation not found', `You have no reservation ${id}.`);

export interface HistoryItem {
  type: ReservationEventType;
  version: number;
  occurredAt: string;
  data: unknown;
}

/** Reads from the read model (and the event store for history). Only the owner sees a reservation. */
@injectable()
export class ReservationQueries {
  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
  ) {}

  async get(userId: number, id: number): Promise<ReservationView> {
    const row = await this.repository.findRow(id);
    if (!row || row.user_id !== userId) throw reservationNotFound(id);
    return viewFromRow(row, this.clock.now());
  }

  async list(userId: number, limit: number, before?: number): Promise<{ items: ReservationView[]; nextBefore: number | null }> {
    const rows = await this.repository.listByUser(userId, limit + 1, before);
    const now = this.clock.now();
    const page = rows.slice(0, limit);
    return { items: page.map((r) => viewFromRow(r, now)), nextBefore: rows.length > limit ? page[page.length - 1].id : null };
  }

  async history(userId: number, id: number): Promise<{ items: HistoryItem[] }> {
    const row = await this.repository.findRow(id);
    if (!row || row.user_id !== userId) throw reservationNotFound(id);
    const events = await this.repository.history(id);
    return { items: events.map((e) => ({ type: e.type, version: e.version, occurredAt: iso(e.occurredAtMs), data: e.data })) };
  }
}
