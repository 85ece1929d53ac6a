import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { RoomStores } from '../infrastructure/room-stores';

/**
 * A confirmed reservation ends the buyer's visit: their ACTIVE token becomes COMPLETED, in the
 * subscriber's transaction, and the slot frees. The live state is told once that transaction is
 * final, from what the database says (a rolled-back handler changes nothing).
 */
@injectable()
export class CompleteVisitWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'complete-token-on-reservation');

  constructor(@inject(RoomStores) private readonly stores: RoomStores) {}

  /** The visit ends in the room of the concert bought (its own room, or the default room). */
  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const store = await this.stores.storeForConcert(trx, event.payload.concertId);
    await store.completeVisit(event.payload.userId, trx);
  }
}
