import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ReservationCopyRepository } from '../infrastructure/reservation-copy.repository';

/** `reservation.expired` → no longer payable. */
@injectable()
export class MarkCopyExpiredWhenReservationExpired implements EventHandler<'reservation.expired'> {
  static readonly subscription = on('reservation.expired', 'copy-on-reservation-expired');

  constructor(@inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.expired'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'EXPIRED');
  }
}
