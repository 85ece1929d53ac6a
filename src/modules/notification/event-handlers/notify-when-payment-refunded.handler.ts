import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { NotifyBuyerService } from '../commands/notify-buyer/notify-buyer.service';

/** A refund (`payment.cancelled`): the amount back, and the reservation's e-ticket, if it had one, revoked. */
@injectable()
export class NotifyWhenPaymentRefunded implements EventHandler<'payment.cancelled'> {
  static readonly subscription = on('payment.cancelled', 'notify-refunded');

  constructor(@inject(NotifyBuyerService) private readonly notifier: NotifyBuyerService) {}

  async handle(event: EventEnvelope<'payment.cancelled'>, trx: Transaction): Promise<void> {
    const { reservationId, userId, amount, reason } = event.payload;
    await this.notifier.revokeTicket(trx, event, reservationId, userId);
    await this.notifier.notify(trx, event, { userId, type: 'REFUNDED', reservationId, amount, reason });
  }
}
