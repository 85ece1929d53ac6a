import { inject, injectable } from 'inversify';
import { iso } from '../../domain/reservation.aggregate';
import type { ReservationEventType } from '../../domain/reservation.events';
import { ReservationRepository } from '../../infrastructure/reservation.repository';
import { ReservationErrors } from '../../reservation.errors';

export interface HistoryItem {
  type: ReservationEventType;
  version: number;
  occurredAt: string;
  data: unknown;
}

/** A reservation's events from the event store, in version order, for its owner only. */
@injectable()
export class ReservationHistoryQuery {
  constructor(@inject(ReservationRepository) private readonly repository: ReservationRepository) {}

  async history(userId: number, id: number): Promise<{ items: HistoryItem[] }> {
    const row = await this.repository.findRow(id);
    if (!row || row.user_id !== userId) throw ReservationErrors.reservationNotFound(id);
    const events = await this.repository.history(id);
    return { items: events.map((e) => ({ type: e.type, version: e.version, occurredAt: iso(e.occurredAtMs), data: e.data })) };
  }
}
