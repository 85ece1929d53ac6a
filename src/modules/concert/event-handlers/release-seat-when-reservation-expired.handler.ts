import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { SeatMapProjection } from '../infrastructure/seat-map.projection';

/** The reservation's claim is RELEASED unless it was SOLD (an expiry never un-sells); the seat then shows what its other live claims say. */
@injectable()
export class ReleaseSeatWhenReservationExpired implements EventHandler<'reservation.expired'> {
  static readonly subscription = on('reservation.expired', 'seat-map-on-expired');

  constructor(@inject(SeatMapProjection) private readonly seatMap: SeatMapProjection) {}

  handle(event: EventEnvelope<'reservation.expired'>, trx: Transaction): Promise<void> {
    return this.seatMap.apply(trx, 'expired', event.payload);
  }
}
