import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { ConcertErrors } from '../../concert.errors';
import { CatalogueRepository, type ScheduleView } from '../../infrastructure/catalogue.repository';

@injectable()
export class ListSchedulesQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
  ) {}

  async execute(concertId: number): Promise<{ items: ScheduleView[] }> {
    const items = await this.catalogue.listSchedules(this.db.direct, concertId);
    // Every concert has at least one schedule, so an empty list means an unknown concert.
    if (items.length === 0 && !(await this.catalogue.concertExists(this.db.direct, concertId))) throw ConcertErrors.concertNotFound(concertId);
    return { items };
  }
}
