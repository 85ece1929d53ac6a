import { inject, injectable } from 'inversify';
import { errors } from '../../../../platform/http/app-error';
import type { CatalogueRepository, SeatView } from '../../catalogue.repository';
import { CONCERT } from '../../concert.di-tokens';

@injectable()
export class SeatMapQuery {
  constructor(@inject(CONCERT.CatalogueRepository) private readonly catalogue: CatalogueRepository) {}

  async execute(scheduleId: number): Promise<{ items: SeatView[] }> {
    // One indexed read on the hot path; every schedule has seats, so only an empty answer needs a second look.
    const items = await this.catalogue.listSeats(scheduleId);
    if (items.length === 0 && !(await this.catalogue.scheduleExists(scheduleId))) throw errors.notFound('Schedule', `There is no schedule ${scheduleId}.`);
    return { items };
  }
}
