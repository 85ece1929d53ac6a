import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { ConcertCopyRepository } from '../infrastructure/concert-copy.repository';

/** Notes each published concert, so that a waiting room is only made for a concert that exists. */
@injectable()
export class NoteConcertWhenSchedulePublished implements EventHandler<'concert.schedule.published'> {
  static readonly subscription = on('concert.schedule.published', 'queue-concert-copy');

  constructor(
    @inject(ConcertCopyRepository) private readonly concerts: ConcertCopyRepository,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'concert.schedule.published'>, trx: Transaction): Promise<void> {
    await this.concerts.note(trx, event.payload.concertId, event.payload.title, this.clock.now());
  }
}
