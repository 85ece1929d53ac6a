import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { rerunOnConcurrentAppend } from '../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../infrastructure/reservation.repository';

/**
 * `ticket.admitted`: the reservation's e-ticket let its holder in at the door. Recorded in its
 * stream (`TicketUsed`), after which it can no longer be cancelled and refunded. A reservation
 * cancelled before the news arrived keeps its cancellation (its ticket was revoked at the door's
 * next scan); that window is as wide as the bus's lag, and is logged when it is crossed.
 */
@injectable()
export class RecordTicketUseWhenAdmitted implements EventHandler<'ticket.admitted'> {
  static readonly subscription = on('ticket.admitted', 'record-ticket-use');

  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
  ) {}

  async handle(event: EventEnvelope<'ticket.admitted'>, trx: Transaction): Promise<void> {
    const { reservationId, admittedAt } = event.payload;
    await rerunOnConcurrentAppend(async () => {
      const reservation = await this.repository.load(trx, reservationId);
      if (!reservation) return;
      const now = this.clock.now();
      if (reservation.recordTicketUse(Date.parse(admittedAt), now)) await this.repository.save(trx, reservation, now);
      else if (reservation.state.status === 'CANCELLED')
        this.logger.warn({ reservationId, admittedAt }, 'reservation: a ticket admitted its holder after (or as) the reservation was cancelled');
    });
  }
}
