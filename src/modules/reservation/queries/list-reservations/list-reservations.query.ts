import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { ReservationView } from '../../domain/reservation.view';
import { ReservationRepository, viewFromRow } from '../../infrastructure/reservation.repository';

/** The caller's reservations from the read model, newest first, a page at a time. */
@injectable()
export class ListReservationsQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
  ) {}

  async list(userId: number, limit: number, before?: number): Promise<{ items: ReservationView[]; nextBefore: number | null }> {
    const rows = await this.repository.listByUser(this.db.direct, userId, limit + 1, before);
    const now = this.clock.now();
    const page = rows.slice(0, limit);
    return { items: page.map((r) => viewFromRow(r, now)), nextBefore: rows.length > limit ? page[page.length - 1].id : null };
  }
}
