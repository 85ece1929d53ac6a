import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
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
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
  ) {}

  async history(userId: number, id: number): Promise<{ items: HistoryItem[] }> {
    const row = await this.repository.findRow(this.db.direct, id);
    if (!row || row.user_id !== userId) throw ReservationErrors.reservationNotFound(id);
    const events = await this.repository.history(this.db.direct, id);
    return { items: events.map((e) => ({ type: e.type, version: e.version, occurredAt: iso(e.occurredAtMs), data: e.data })) };
  }
}
