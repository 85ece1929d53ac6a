import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ReservationCopyRepository } from '../infrastructure/reservation-copy.repository';

/** `reservation.success` → confirmed (paid; not payable again). */
@injectable()
export class MarkCopyConfirmedWhenReservationSucceeded implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'copy-on-reservation-success');

  constructor(@inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'CONFIRMED');
  }
}
