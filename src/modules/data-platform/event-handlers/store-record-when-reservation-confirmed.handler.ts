import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import { type EventHandler, PermanentEventError } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { DataPlatformSettings } from '../data-platform.settings';
import { initialDelivery } from '../domain/delivery';
import { ReservationRecords } from '../infrastructure/reservation-records.repository';
import { DeliverRecordsJob } from '../jobs/deliver-records.job';

/**
 * Stores each confirmed reservation exactly once: the inbox drops a redelivered event, and the
 * unique reservation_id drops a second confirmation of the same reservation under another
 * event id. Only a row is written here; the sink is called later by the delivery job.
 */
@injectable()
export class StoreRecordWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'store-confirmed-reservation');

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: DataPlatformSettings,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(DeliverRecordsJob) private readonly deliveries: DeliverRecordsJob,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const confirmedAtMs = Date.parse(p.confirmedAt);
    if (!Number.isFinite(confirmedAtMs)) throw new PermanentEventError(`reservation.success ${event.id} has an unreadable confirmedAt "${p.confirmedAt}"`);
    const cancelledAtMs = await this.records.takeEarlyCancellation(trx, p.reservationId);
    const delivery = initialDelivery(this.settings.sinkUrl !== null);
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
    // The kick waits for the commit: the job reads the record outside this transaction.
    if (stored && delivery === 'PENDING') this.deliveries.noteNewRecord();
  }
}
