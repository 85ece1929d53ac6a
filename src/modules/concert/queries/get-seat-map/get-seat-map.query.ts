import { inject, injectable } from 'inversify';
import { ConcertErrors } from '../../concert.errors';
import { CatalogueRepository, type SeatView } from '../../infrastructure/catalogue.repository';

@injectable()
export class GetSeatMapQuery {
  constructor(@inject(CatalogueRepository) private readonly catalogue: CatalogueRepository) {}

  async execute(scheduleId: number): Promise<{ items: SeatView[] }> {
    // One indexed read on the hot path; every schedule has seats, so only an empty answer needs a second look.
    const items = await this.catalogue.listSeats(scheduleId);
    if (items.length === 0 && !(await this.catalogue.scheduleExists(scheduleId))) throw ConcertErrors.scheduleNotFound(scheduleId);
    return { items };
  }
}
