import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { NotifyBuyerService } from '../commands/notify-buyer/notify-buyer.service';
import { Projections } from '../infrastructure/projections.repository';

/** A hold ran out before it was paid. */
@injectable()
export class NotifyWhenReservationExpired implements EventHandler<'reservation.expired'> {
  static readonly subscription = on('reservation.expired', 'notify-expired');

  constructor(
    @inject(Projections) private readonly projections: Projections,
    @inject(NotifyBuyerService) private readonly notifier: NotifyBuyerService,
  ) {}

  async handle(event: EventEnvelope<'reservation.expired'>, trx: Transaction): Promise<void> {
    const { reservationId, userId, scheduleId, seatId } = event.payload;
    await this.projections.noteReservation(trx, { reservationId, userId, scheduleId, seatId });
    await this.notifier.notify(trx, event, { userId, type: 'EXPIRED', reservationId });
  }
}
