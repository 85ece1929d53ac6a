import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { NotifyBuyerService } from '../commands/notify-buyer/notify-buyer.service';
import { Projections } from '../infrastructure/projections.repository';

/** Paid, but the confirmation failed (the hold ran out meanwhile): the refund follows as its own notification. */
@injectable()
export class NotifyWhenReservationFailed implements EventHandler<'reservation.failed'> {
  static readonly subscription = on('reservation.failed', 'notify-failed');

  constructor(
    @inject(Projections) private readonly projections: Projections,
    @inject(NotifyBuyerService) private readonly notifier: NotifyBuyerService,
  ) {}

  async handle(event: EventEnvelope<'reservation.failed'>, trx: Transaction): Promise<void> {
    const { reservationId, userId, reason } = event.payload;
    await this.projections.noteReservation(trx, { reservationId, userId });
    await this.notifier.notify(trx, event, { userId, type: 'FAILED', reservationId, reason });
  }
}
