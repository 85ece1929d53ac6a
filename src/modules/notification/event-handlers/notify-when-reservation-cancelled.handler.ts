import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { NotifyBuyerService } from '../commands/notify-buyer/notify-buyer.service';
import { Projections } from '../infrastructure/projections.repository';

/** A cancellation: of a confirmed reservation, it also revokes the e-ticket (taking turns with a scan of it). */
@injectable()
export class NotifyWhenReservationCancelled implements EventHandler<'reservation.cancelled'> {
  static readonly subscription = on('reservation.cancelled', 'notify-cancelled');

  constructor(
    @inject(Projections) private readonly projections: Projections,
    @inject(NotifyBuyerService) private readonly notifier: NotifyBuyerService,
  ) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    const { reservationId, userId, scheduleId, seatId, previousStatus } = event.payload;
    await this.projections.noteReservation(trx, { reservationId, userId, scheduleId, seatId });
    if (previousStatus === 'CONFIRMED') await this.notifier.revokeTicket(trx, event, reservationId, userId);
    await this.notifier.notify(trx, event, { userId, type: 'CANCELLED', reservationId });
  }
}
