import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { PAYMENT } from '../payment.di-tokens';
import type { ReservationCopyRepository } from '../reservation-copy/reservation-copy.repository';

/** `reservation.held` → a payable copy: owner, amount (the price), expiry. */
@injectable()
export class OnReservationHeld implements EventHandler<'reservation.held'> {
  constructor(@inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.held'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const expiresAtMs = Date.parse(p.expiresAt);
    if (Number.isNaN(expiresAtMs)) throw new Error(`reservation.held ${p.reservationId} has an unreadable expiresAt`);
    await this.copies.held(trx, { reservationId: p.reservationId, userId: p.userId, amount: p.price, expiresAtMs });
  }
}

/** `reservation.expired` → no longer payable. */
@injectable()
export class OnReservationExpired implements EventHandler<'reservation.expired'> {
  constructor(@inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.expired'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'EXPIRED');
  }
}

/** `reservation.cancelled` → no longer payable (the refund of a confirmed one is another subscriber's job). */
@injectable()
export class OnReservationCancelled implements EventHandler<'reservation.cancelled'> {
  constructor(@inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'CANCELLED');
  }
}

/** `reservation.success` → confirmed (paid; not payable again). */
@injectable()
export class OnReservationSucceeded implements EventHandler<'reservation.success'> {
  constructor(@inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    await this.copies.moveTo(trx, event.payload.reservationId, event.payload.userId, 'CONFIRMED');
  }
}
