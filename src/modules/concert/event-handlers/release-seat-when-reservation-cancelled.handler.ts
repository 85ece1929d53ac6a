import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { SeatMapProjection } from '../infrastructure/seat-map.projection';

/** The reservation's claim is RELEASED, even a SOLD one; the seat then shows what its other live claims say, AVAILABLE if none. */
@injectable()
export class ReleaseSeatWhenReservationCancelled implements EventHandler<'reservation.cancelled'> {
  static readonly subscription = on('reservation.cancelled', 'seat-map-on-cancelled');

  constructor(@inject(SeatMapProjection) private readonly seatMap: SeatMapProjection) {}

  handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    return this.seatMap.apply(trx, 'cancelled', event.payload);
  }
}
