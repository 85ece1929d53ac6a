import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
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
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
  ) {}

  async execute({ page, pageSize }: ListConcertsQueryInput): Promise<ConcertPage> {
    const [items, total] = await Promise.all([
      this.catalogue.listConcerts(this.db.direct, pageSize, (page - 1) * pageSize),
      this.catalogue.countConcerts(this.db.direct),
    ]);
    return { items, page, pageSize, total };
  }
}
