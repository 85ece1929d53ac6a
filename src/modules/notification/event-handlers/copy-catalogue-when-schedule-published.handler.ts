import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { Projections } from '../infrastructure/projections.repository';

/** Keeps what a schedule and its seats are called, for the messages and the door. */
@injectable()
export class CopyCatalogueWhenSchedulePublished implements EventHandler<'concert.schedule.published'> {
  static readonly subscription = on('concert.schedule.published', 'catalogue-copy');

  constructor(@inject(Projections) private readonly projections: Projections) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    await this.projections.upsertSchedule(trx, event.payload);
  }
}
