import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { CatalogueRepository } from '../catalogue/catalogue.repository';
import { RESERVATION } from '../reservation.di-tokens';

/** Keeps the catalogue copy (schedules, seats, prices) the holds are checked and priced against. */
@injectable()
export class OnSchedulePublished implements EventHandler<'concert.schedule.published'> {
  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Catalogue) private readonly catalogue: CatalogueRepository,
  ) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    await this.catalogue.upsertSchedule(trx, event.payload, this.clock.now());
  }
}
