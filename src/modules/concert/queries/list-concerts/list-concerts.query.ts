import { inject, injectable } from 'inversify';
import { CatalogueRepository, type ConcertSummary } from '../../infrastructure/catalogue.repository';
import type { ListConcertsQueryInput } from './list-concerts.request.dto';

export interface ConcertPage {
  items: ConcertSummary[];
  page: number;
  pageSize: number;
  total: number;
}

@injectable()
export class ListConcertsQuery {
  constructor(@inject(CatalogueRepository) private readonly catalogue: CatalogueRepository) {}

  async execute({ page, pageSize }: ListConcertsQueryInput): Promise<ConcertPage> {
    const [items, total] = await Promise.all([this.catalogue.listConcerts(pageSize, (page - 1) * pageSize), this.catalogue.countConcerts()]);
    return { items, page, pageSize, total };
  }
}
