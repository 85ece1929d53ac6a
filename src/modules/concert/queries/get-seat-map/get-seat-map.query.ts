import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { ConcertErrors } from '../../concert.errors';
import { CatalogueRepository, type SeatView } from '../../infrastructure/catalogue.repository';

@injectable()
export class GetSeatMapQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
  ) {}

  /** The concert whose waiting room's pass opens this seat map. */
  concertOf(scheduleId: number): Promise<number | null> {
    return this.catalogue.concertOfSchedule(this.db.direct, scheduleId);
  }

  async execute(scheduleId: number): Promise<{ items: SeatView[] }> {
    // One indexed read on the hot path; every schedule has seats, so only an empty answer needs a second look.
    const items = await this.catalogue.listSeats(this.db.direct, scheduleId);
    if (items.length === 0 && !(await this.catalogue.scheduleExists(this.db.direct, scheduleId))) throw ConcertErrors.scheduleNotFound(scheduleId);
    return { items };
  }
}
