import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { QUEUE } from '../queue.di-tokens';
import type { QueueEngine } from '../queue-engine';

/** A confirmed reservation ends the buyer's visit: their ACTIVE token becomes COMPLETED and the slot frees. */
@injectable()
export class OnReservationSucceeded implements EventHandler<'reservation.success'> {
  constructor(@inject(QUEUE.Engine) private readonly engine: QueueEngine) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    await this.engine.completeActiveOf(event.payload.userId, trx);
  }
}
