import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { NotifyBuyerService } from '../commands/notify-buyer/notify-buyer.service';
import { Projections } from '../infrastructure/projections.repository';

/** The confirmation, with the e-ticket: the seat it names is recorded first, so the ticket can be shown. */
@injectable()
export class NotifyWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'notify-confirmed');

  constructor(
    @inject(Projections) private readonly projections: Projections,
    @inject(NotifyBuyerService) private readonly notifier: NotifyBuyerService,
  ) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const confirmedAtMs = Date.parse(p.confirmedAt);
    await this.projections.noteReservation(trx, {
      reservationId: p.reservationId,
      userId: p.userId,
      scheduleId: p.scheduleId,
      seatId: p.seatId,
      seatLabel: p.seatLabel,
      price: p.price,
      ...(Number.isFinite(confirmedAtMs) ? { confirmedAtMs } : {}),
    });
    await this.notifier.notify(trx, event, { userId: p.userId, type: 'CONFIRMED', reservationId: p.reservationId, amount: p.price });
  }
}
