import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { SeatMapProjection } from '../infrastructure/seat-map.projection';

/** The reservation's claim becomes HELD; the seat shows HELD unless another claim has sold it. */
@injectable()
export class MarkSeatHeldWhenReservationHeld implements EventHandler<'reservation.held'> {
  static readonly subscription = on('reservation.held', 'seat-map-on-held');

  constructor(@inject(SeatMapProjection) private readonly seatMap: SeatMapProjection) {}

  handle(event: EventEnvelope<'reservation.held'>, trx: Transaction): Promise<void> {
    return this.seatMap.apply(trx, 'held', event.payload);
  }
}
