import { inject, injectable } from 'inversify';
import { errors } from '../../../../platform/http/app-error';
import type { CatalogueRepository, ScheduleView } from '../../catalogue.repository';
import { CONCERT } from '../../concert.di-tokens';

@injectable()
export class ListSchedulesQuery {
  constructor(@inject(CONCERT.CatalogueRepository) private readonly catalogue: CatalogueRepository) {}

  async execute(concertId: number): Promise<{ items: ScheduleView[] }> {
    const items = await this.catalogue.listSchedules(concertId);
    // Every concert has at least one schedule, so an empty list means an unknown concert.
    if (items.length === 0 && !(await this.catalogue.concertExists(concertId))) throw errors.notFound('Concert', `There is no concert ${concertId}.`);
    return { items };
  }
}
