import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { CatalogueRepository } from '../infrastructure/catalogue.repository';

/** Keeps the catalogue copy (schedules, seats, prices) the holds are checked and priced against. */
@injectable()
export class CopyCatalogueWhenSchedulePublished implements EventHandler<'concert.schedule.published'> {
  static readonly subscription = on('concert.schedule.published', 'catalogue-copy');

  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
  ) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    await this.catalogue.upsertSchedule(trx, event.payload, this.clock.now());
  }
}
