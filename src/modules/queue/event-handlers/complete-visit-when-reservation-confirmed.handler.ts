import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { QUEUE_STORE, type QueueStore } from '../queue-store';

/**
 * A confirmed reservation ends the buyer's visit: their ACTIVE token becomes COMPLETED, in the
 * subscriber's transaction, and the slot frees. The live state is told once that transaction is
 * final, from what the database says (a rolled-back handler changes nothing).
 */
@injectable()
export class CompleteVisitWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'complete-token-on-reservation');

  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    return this.store.completeVisit(event.payload.userId, trx);
  }
}
