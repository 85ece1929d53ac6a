import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { ReservationCopyRepository } from '../infrastructure/reservation-copy.repository';

/** `reservation.held` → a payable copy: owner, amount (the price), expiry. */
@injectable()
export class CopyReservationWhenHeld implements EventHandler<'reservation.held'> {
  static readonly subscription = on('reservation.held', 'copy-on-reservation-held');

  constructor(@inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.held'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const expiresAtMs = Date.parse(p.expiresAt);
    if (Number.isNaN(expiresAtMs)) throw new Error(`reservation.held ${p.reservationId} has an unreadable expiresAt`);
    await this.copies.held(trx, { reservationId: p.reservationId, userId: p.userId, concertId: p.concertId ?? null, amount: p.price, expiresAtMs });
  }
}
