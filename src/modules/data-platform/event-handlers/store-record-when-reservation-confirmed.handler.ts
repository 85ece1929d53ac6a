import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import { PermanentEventError, type EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { DATA_PLATFORM } from '../data-platform.di-tokens';
import type { RecordDeliverer } from '../jobs/deliver-records.job';
import type { ReservationRecords } from '../reservation-records.repository';

/**
 * Stores each confirmed reservation exactly once: the inbox drops a redelivered event, and the
 * unique reservation_id drops a second confirmation of the same reservation under another
 * event id. Only a row is written here; the sink is called later by the delivery job.
 */
@injectable()
export class OnReservationConfirmed implements EventHandler<'reservation.success'> {
  constructor(
    @inject(DATA_PLATFORM.Records) private readonly records: ReservationRecords,
    @inject(DATA_PLATFORM.Deliverer) private readonly deliverer: RecordDeliverer,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const confirmedAtMs = Date.parse(p.confirmedAt);
    if (!Number.isFinite(confirmedAtMs)) throw new PermanentEventError(`reservation.success ${event.id} has an unreadable confirmedAt "${p.confirmedAt}"`);
    const cancelledAtMs = await this.records.takeEarlyCancellation(trx, p.reservationId);
    const delivery = this.deliverer.initialDelivery();
    const stored = await this.records.insert(trx, {
      reservationId: p.reservationId,
      userId: p.userId,
      concertId: p.concertId,
      scheduleId: p.scheduleId,
      seatId: p.seatId,
      seatLabel: p.seatLabel,
      amount: p.price,
      paymentId: p.paymentId,
      confirmedAtMs,
      receivedAtMs: this.clock.now(),
      status: cancelledAtMs === null ? 'CONFIRMED' : 'CANCELLED',
      cancelledAtMs,
      sourceEventId: event.id,
      delivery,
    });
    if (stored && delivery === 'PENDING') this.deliverer.noteNewRecord();
  }
}
