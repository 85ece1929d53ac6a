import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ReservationCopyRepository } from '../infrastructure/reservation-copy.repository';

/** `reservation.cancelled` → no longer payable (the refund of a confirmed one is RefundWhenConfirmedReservationCancelled's job). */
@injectable()
export class MarkCopyCancelledWhenReservationCancelled implements EventHandler<'reservation.cancelled'> {
  static readonly subscription = on('reservation.cancelled', 'copy-on-reservation-cancelled');

  constructor(@inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'CANCELLED');
  }
}
