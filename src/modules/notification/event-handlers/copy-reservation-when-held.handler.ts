import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { Projections } from '../infrastructure/projections.repository';

/** Keeps which seat a reservation is and its price: `reservation.failed` and `payment.cancelled` do not say. */
@injectable()
export class CopyReservationWhenHeld implements EventHandler<'reservation.held'> {
  static readonly subscription = on('reservation.held', 'reservation-copy');

  constructor(@inject(Projections) private readonly projections: Projections) {}

  async handle(event: EventEnvelope<'reservation.held'>, trx: Transaction): Promise<void> {
    const { reservationId, userId, scheduleId, seatId, price } = event.payload;
    await this.projections.noteReservation(trx, { reservationId, userId, scheduleId, seatId, price });
  }
}
