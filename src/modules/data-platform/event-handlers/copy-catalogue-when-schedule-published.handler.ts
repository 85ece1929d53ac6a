import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { DATA_PLATFORM } from '../data-platform.di-tokens';
import type { ScheduleCatalogue } from '../schedule-catalogue.repository';

/** Keeps the catalogue copy: which concert a schedule belongs to, its title and start time. */
@injectable()
export class OnSchedulePublished implements EventHandler<'concert.schedule.published'> {
  constructor(
    @inject(DATA_PLATFORM.Catalogue) private readonly catalogue: ScheduleCatalogue,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    const { scheduleId, concertId, title, artist, venue, startsAt } = event.payload;
    await this.catalogue.upsert(trx, { scheduleId, concertId, title, artist, venue, startsAt }, this.clock.now());
  }
}
