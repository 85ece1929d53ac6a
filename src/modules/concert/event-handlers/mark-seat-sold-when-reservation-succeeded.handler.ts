import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { SeatMapProjection } from '../infrastructure/seat-map.projection';

/** The reservation's claim becomes SOLD, and so does the seat. */
@injectable()
export class MarkSeatSoldWhenReservationSucceeded implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'seat-map-on-success');

  constructor(@inject(SeatMapProjection) private readonly seatMap: SeatMapProjection) {}

  handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    return this.seatMap.apply(trx, 'sold', event.payload);
  }
}
