import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { ScheduleCatalogue } from '../infrastructure/schedule-catalogue.repository';

/** Keeps the catalogue copy: which concert a schedule belongs to, its title and start time. */
@injectable()
export class CopyCatalogueWhenSchedulePublished implements EventHandler<'concert.schedule.published'> {
  static readonly subscription = on('concert.schedule.published', 'catalogue-copy');

  constructor(
    @inject(ScheduleCatalogue) private readonly catalogue: ScheduleCatalogue,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    const { scheduleId, concertId, title, artist, venue, startsAt } = event.payload;
    await this.catalogue.upsert(trx, { scheduleId, concertId, title, artist, venue, startsAt }, this.clock.now());
  }
}
